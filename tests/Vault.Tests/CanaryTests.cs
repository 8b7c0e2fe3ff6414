using System.Text;
using Npgsql;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Seeds recognisable values, drives every kind of operation over them (writes, reads allowed and denied, lookups,
/// subject rights, disclosures, transfers, erasure, refused requests) and then looks for them everywhere the vault
/// leaves traces: every column of every table as text, the service's logs at every level, every span, the outbox
/// (what is published) and every error response.
/// </summary>
public sealed class CanaryTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private const string Marker = "qx7f3a91";
    private const string Phone = "+86 137 7173 9191";
    private const string PhoneDigits = "13771739191";

    private static readonly Dictionary<string, object> Seeds = new()
    {
        ["identity"] = new { name = $"Canary Name {Marker}", id_number = $"11010119900307{Marker}" },
        ["contact"] = new { email = $"canary.{Marker}@example.cn", phone = Phone, push = $"fcm:{Marker}", language = "en" },
        ["device"] = new { imei = $"IMEI-{Marker}", ip = "10.77.0.91" },
        ["usage"] = new { browsing = $"/shop/{Marker}" },
        ["location"] = new { gps = $"31.2304,121.4737 {Marker}" },
        ["delivery"] = new { contact_person = $"Courier Contact {Marker}", address = $"88 Canary Road {Marker}" },
    };

    [Fact]
    [Trait("Clause", "IWK-2.1")]
    public async Task No_plaintext_personal_data_reaches_any_table_log_span_event_or_error()
    {
        using var spans = new SpanRecorder();
        var errors = new List<string>();
        using var backend = factory.Backend();
        using var officer = factory.Officer();
        using var service = factory.CreateClientFor(SuiteRoles.Service, "notifications");

        async Task Send(Task<HttpResponseMessage> call)
        {
            using var response = await call;
            if (!response.IsSuccessStatusCode)
            {
                errors.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        var tokens = new List<string>();
        foreach (var subject in new[] { "canary-1", "canary-2" })
        {
            foreach (var (category, fields) in Seeds)
            {
                tokens.AddRange((await factory.StoreAsync(subject, category, fields, category is "device" or "usage" or "location" ? "collected" : "provided",
                    legalBasis: category == "delivery" ? "contract" : "consent", purposes: category == "delivery" ? ["delivery.offline"] : null)).Values);
            }
        }

        await factory.GrantAsync("canary-1", "service.provide");
        var lowLevel = await factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == "canary-1" && (v.Category == "device" || v.Category == "contact")).Select(v => v.Token).ToListAsync());
        using (var allowed = await backend.PostAsJsonAsync("/v1/detokenize", new { tokens = lowLevel, purpose = "service.provide" }))
        {
            // The control: an allowed read does hand the values back, so the needles below would be found if they leaked.
            Assert.Contains(Marker, await allowed.Content.ReadAsStringAsync());
        }

        await Send(backend.PostAsJsonAsync("/v1/detokenize", new { tokens, purpose = "offers.relevant" }));
        await Send(backend.PostAsJsonAsync("/v1/lookup", new { field = "email", value = $"canary.{Marker}@example.cn" }));
        await Send(backend.PostAsJsonAsync("/v1/lookup", new { field = "phone", value = Phone }));
        await Send(service.GetAsync("/v1/subjects/canary-1/contacts"));
        await Send(backend.PostAsJsonAsync("/v1/subjects/canary-1/transfers",
            new { destinationCountry = "US", recipient = "Canary Inc", purpose = "service.provide", categories = new[] { "contact" } }));
        await Send(officer.PostAsJsonAsync("/v1/subjects/canary-1/disclosures", new
        {
            authority = "Court", legalReference = "C-1", basis = "public-safety", categories = new[] { "contact" }, notifySubject = true,
        }));

        // Refused requests that carry personal data must not echo it.
        await Send(backend.PostAsJsonAsync("/v1/subjects/canary-1/data", new { category = "business", source = "provided", fields = new { note = $"ledger {Marker}" } }));
        await Send(backend.PostAsJsonAsync("/v1/subjects/canary-1/data", new { category = "contact", source = "provided", legalBasis = "consent", fields = new Dictionary<string, string> { ["Bad Name"] = $"x {Marker}" } }));
        await Send(backend.PostAsJsonAsync("/v1/subjects/canary-1/data", new { category = "contact", source = "provided", legalBasis = "consent", fields = new { email = Marker + new string('y', 4096) } }));
        await Send(backend.PostAsJsonAsync("/v1/subjects/canary-1/data", new StringContent($"{{\"category\":\"contact\",\"fields\":{{\"email\":\"{Marker}\"", Encoding.UTF8, "application/json")));
        await Send(backend.PostAsJsonAsync("/v1/lookup", new { field = $"x{Marker}", value = $"canary.{Marker}@example.cn" }));

        // Subject rights: access, rectification, erasure.
        foreach (var request in new[] { "access", "rectification", "erasure" })
        {
            var (id, code) = await factory.StartRequestAsync(backend, "canary-2", request);
            if (request == "access")
            {
                // canary-2 holds identity and location data: its access needs an officer's approval besides the code.
                await Send(officer.PostAsync($"/v1/subject-requests/{id}/approval", null));
            }

            object body = request switch
            {
                "access" => new { verificationId = id, code },
                "rectification" => new { verificationId = id, code, category = "contact", fields = new { email = $"fixed.{Marker}@example.cn" }, reason = "moved" },
                _ => new { verificationId = id, code, reason = "closing" },
            };
            await Send(backend.PostAsJsonAsync($"/v1/subjects/canary-2/{request}", body));
        }

        await Eventually.HoldsAsync(async () => (await factory.OutboxAsync()).All(m => m.SentAt != null), TimeSpan.FromSeconds(20), "the outbox drained");

        var needles = new[] { Marker, PhoneDigits, Phone, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Marker)), Convert.ToBase64String(Encoding.UTF8.GetBytes($"canary.{Marker}")) };
        var tables = await DatabaseSnapshot.TablesAsTextAsync(factory.DatabaseConnectionString);
        var outbox = string.Join('\n', (await factory.OutboxAsync()).Select(m => m.Payload));
        var places = new Dictionary<string, string>(tables.Select(t => KeyValuePair.Create($"table {t.Key}", t.Value)))
        {
            ["logs"] = string.Join('\n', factory.Logs),
            ["spans"] = string.Join('\n', spans.Spans),
            ["outbox and published events"] = outbox,
            ["error responses"] = string.Join('\n', errors),
        };

        Assert.True(tables.ContainsKey("personal_values") && tables["personal_values"].Length > 1000, "the scan saw the stored values");
        Assert.True(errors.Count >= 6, $"refused requests were made ({errors.Count})");
        Assert.Contains("SubjectDataStored", string.Join('\n', (await factory.OutboxAsync()).Select(m => m.MessageType)));
        Assert.NotEmpty(factory.Logs);
        foreach (var (place, text) in places)
        {
            foreach (var needle in needles)
            {
                Assert.False(text.Contains(needle, StringComparison.OrdinalIgnoreCase), $"{place} contains personal data ({needle})");
            }
        }
    }
}
