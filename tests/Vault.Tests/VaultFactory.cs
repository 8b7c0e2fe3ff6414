using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Infrastructure;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// The vault in-process on its own database and virtual host, with its key folder in a temporary directory.
/// The consent service is asked through <see cref="ConsentStandIn"/>, a local HTTP server standing in for it
/// (the consent service is being built in parallel); consent events travel through the real broker.
/// </summary>
public class VaultFactory() : ServiceFactory<Program>("vaultdb")
{
    public string KeyDirectory { get; } = Path.Combine(Path.GetTempPath(), "vault-keys-" + Guid.NewGuid().ToString("N"), "keys");

    public ConsentStandIn Consent { get; private set; } = null!;

    /// <summary>Everything the service logged, at every level.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    public override async Task InitializeAsync()
    {
        Consent = await ConsentStandIn.StartAsync();
        Settings["PrivacySuite:Vault:KeyDirectory"] = KeyDirectory;
        Settings["services:consent:http:0"] = Consent.Address.ToString();
        // As ServiceFactory does for the other limits: tests sign in often from one address; RateLimitTests set small ones.
        Settings["PrivacySuite:RateLimits:SignInRequestsPerClient"] = "1000000";
        Settings["PrivacySuite:RateLimits:SignInsPerAddress"] = "1000000";
        Configure(Settings);
        await base.InitializeAsync();
    }

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging =>
        {
            logging.AddProvider(new LineLoggerProvider(Logs.Enqueue, scopes: true));
            logging.AddFilter<LineLoggerProvider>(null, LogLevel.Trace);
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Consent.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public HttpClient Backend() => CreateProductBackendClient();

    public HttpClient Officer() => CreateClientFor(SuiteRoles.PrivacyOfficer, "officer-1");

    /// <summary>Runs SQL straight against the vault's database, as someone with write access to it would.</summary>
    public async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>What the access log's verify command answers a privacy officer.</summary>
    public async Task<JsonElement> VerifyAccessLogAsync()
    {
        using var officer = Officer();
        using var response = await officer.PostAsync("/v1/access-log/verify", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public Task<long> AccessLogHeadAsync() => WithDbAsync(db => db.AccessLog.MaxAsync(a => a.Position));

    public async Task<T> WithDbAsync<T>(Func<VaultDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<VaultDbContext>());
    }

    /// <summary>The outbox as the relay sees it: what was, or will be, published.</summary>
    public Task<List<PrivacySuite.ServiceDefaults.Messaging.OutboxMessage>> OutboxAsync() =>
        WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Sequence).ToListAsync());

    /// <summary>Publishes an event on the real broker, as another service's outbox relay would.</summary>
    public async Task PublishAsync<T>(T message)
        where T : class => await (await TestBusAsync()).Publish(message);

    /// <summary>
    /// Grants consent as the consent service would: its check allows the pair from now on, and its event reaches the
    /// vault (which forgets a denial it kept). Waits until the vault has heard the event.
    /// </summary>
    public async Task GrantAsync(string subjectId, string purpose)
    {
        var grantedAt = DateTimeOffset.UtcNow;
        Consent.Answers[(subjectId, purpose)] = true;
        await PublishAsync(new ConsentGranted(subjectId, purpose, "v1", "web-form", "CN", grantedAt));
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.ConsentChanges.AnyAsync(c => c.SubjectId == subjectId && c.ChangedAt >= grantedAt)),
            TimeSpan.FromSeconds(20), $"the vault heard of the grant of {purpose}");
    }

    /// <summary>
    /// Fetches a verification's code as the notification service does when it sends the notice (once, as a service):
    /// the code and the channels it goes to.
    /// </summary>
    public async Task<(string Code, List<(string Channel, string Address)> Channels)> ReleaseCodeAsync(Guid verificationId)
    {
        using var notifications = CreateClientFor(SuiteRoles.Service, "notifications");
        using var response = await notifications.PostAsync($"/v1/verifications/{verificationId}/delivery", null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"delivery answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("code").GetString()!,
            body.GetProperty("channels").EnumerateArray().Select(c => (c.GetProperty("channel").GetString()!, c.GetProperty("address").GetString()!)).ToList());
    }

    /// <summary>
    /// Makes the subject's e-mail address (stored now unless <paramref name="email"/> is null and one is stored) its verified
    /// contact, as a product backend does at sign-up: the proof's code, and the verified contact's when there is one.
    /// </summary>
    public async Task VerifyContactAsync(string subjectId, string? email = null)
    {
        if (email is not null || !await WithDbAsync(db => db.Values.AnyAsync(v => v.SubjectId == subjectId && v.Category == "contact" && v.Field == "email")))
        {
            await StoreAsync(subjectId, "contact", new { email = email ?? $"{subjectId}@example.cn" });
        }

        using var backend = Backend();
        using var started = await backend.PostAsJsonAsync($"/v1/subjects/{subjectId}/contact-verifications", new { field = "email" });
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"contact verification answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");
        var proof = await started.Content.ReadFromJsonAsync<JsonElement>();
        var id = proof.GetProperty("verificationId").GetGuid();
        var (code, _) = await ReleaseCodeAsync(id);
        Guid? confirmationId = proof.GetProperty("confirmationId").ValueKind == JsonValueKind.Null ? null : proof.GetProperty("confirmationId").GetGuid();
        var confirmationCode = confirmationId is { } c ? (await ReleaseCodeAsync(c)).Code : null;
        using var verified = await backend.PostAsJsonAsync($"/v1/subjects/{subjectId}/verified-contacts", new { verificationId = id, code, confirmationId, confirmationCode });
        Assert.True(verified.StatusCode == HttpStatusCode.OK, $"verify contact answered {(int)verified.StatusCode}: {await verified.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Starts a rights request and fetches its code as the notification service would; gives the subject a verified
    /// contact first when it has none.
    /// </summary>
    public async Task<(Guid Id, string Code)> StartRequestAsync(HttpClient client, string subjectId, string request)
    {
        if (!await WithDbAsync(db => db.VerifiedContacts.AnyAsync(c => c.SubjectId == subjectId)))
        {
            await VerifyContactAsync(subjectId);
        }

        using var started = await client.PostAsJsonAsync($"/v1/subjects/{subjectId}/verifications", new { request });
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"verification answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        return (id, (await ReleaseCodeAsync(id)).Code);
    }

    /// <summary>Stores fields; a non-consent <paramref name="legalBasis"/> needs the <paramref name="purposes"/> it covers.</summary>
    public async Task<IReadOnlyDictionary<string, string>> StoreAsync(string subjectId, string category, object fields, string source = "provided", string legalBasis = "consent",
        IReadOnlyList<string>? purposes = null)
    {
        using var client = Backend();
        using var response = await client.PostAsJsonAsync($"/v1/subjects/{subjectId}/data", new { category, source, legalBasis, fields, purposes });
        Assert.True(response.IsSuccessStatusCode, $"store answered {(int)response.StatusCode}: " + string.Join('\n', Logs.Where(l => l.Contains("Error:", StringComparison.Ordinal)).Take(1)));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("tokens").Deserialize<Dictionary<string, string>>()!;
    }
}

/// <summary>
/// The consent service's check endpoint, answering from a table the test fills, and counting the questions; and its
/// purpose catalogue (<c>GET /v1/purposes</c>), the consent service's seed unless a test changes it.
/// </summary>
public sealed class ConsentStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConsentStandIn(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public ConcurrentDictionary<(string Subject, string Purpose), bool> Answers { get; } = new();

    /// <summary>What an answer about a subject is as of (subjectChangedAt); the time of the question when not set, as an up-to-date replica would.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> AsOf { get; } = new();

    /// <summary>The policy epoch the answers are decided under.</summary>
    public long Epoch { get; set; }

    public int Questions;

    /// <summary>The consent service's seeded catalogue (0002 and 0005 of its migrations): purpose code to data categories.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> SeedCatalogue = new Dictionary<string, string[]>
    {
        ["service.provide"] = ["Identity", "Contact", "Device", "Usage"],
        ["personalisation"] = ["Device", "Usage", "Location"],
        ["service.optimisation"] = ["Device", "Usage"],
        ["protection"] = ["Identity", "Device", "Usage"],
        ["offers.relevant"] = ["Usage"],
        ["surveys"] = ["Contact"],
        ["delivery.offline"] = ["Contact", "Delivery"],
        ["sharing.third-party"] = ["Identity", "Contact"],
        ["transfer.cross-border"] = ["Identity", "Contact", "Device", "Usage"],
        ["iwalk.service.provide"] = ["Identity", "Contact", "Device", "Usage", "Location"],
        ["iwalk.transaction-security"] = ["Device", "Usage"],
        ["iwalk.personalisation"] = ["Device", "Usage", "Location"],
        ["iwalk.transfer.cross-border"] = ["Identity", "Contact", "Device", "Usage"],
    };

    /// <summary>The catalogue served: purpose code to data categories (as the consent service spells them).</summary>
    public ConcurrentDictionary<string, string[]> Purposes { get; } = new(SeedCatalogue);

    public int CatalogueQuestions;

    public bool Down { get; set; }

    public static async Task<ConsentStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ConsentStandIn? standIn = null;
        app.MapGet("/v1/consents/check", (string subjectId, string purpose, HttpContext http) =>
        {
            Interlocked.Increment(ref standIn!.Questions);
            if (standIn.Down)
            {
                return Results.StatusCode(503);
            }

            var allowed = http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) &&
                          standIn.Answers.TryGetValue((subjectId, purpose), out var a) && a;
            return Results.Json(new
            {
                allowed,
                basis = allowed ? "consent" : null,
                policyVersion = "v1",
                reason = allowed ? null : "no-consent",
                subjectChangedAt = standIn.AsOf.TryGetValue(subjectId, out var asOf) ? asOf : DateTimeOffset.UtcNow,
                policyEpoch = standIn.Epoch,
            });
        });
        app.MapGet("/v1/purposes", (HttpContext http) =>
        {
            Interlocked.Increment(ref standIn!.CatalogueQuestions);
            if (standIn.Down)
            {
                return Results.StatusCode(503);
            }

            return http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal)
                ? Results.Json(standIn.Purposes.Select(p => new
                {
                    code = p.Key,
                    policyId = p.Key.StartsWith("iwalk.", StringComparison.Ordinal) ? "iwalk-scooter" : "infobird",
                    dataCategories = p.Value,
                }))
                : Results.StatusCode(401);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        standIn = new ConsentStandIn(app, new Uri(address));
        return standIn;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>Every span the process creates, with its name and tags, for the canary scan.</summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Spans.Enqueue($"{a.DisplayName} {a.OperationName} {string.Join(' ', a.TagObjects.Select(t => $"{t.Key}={t.Value}"))} " +
                                                 string.Join(' ', a.Events.Select(e => e.Name + string.Join(' ', e.Tags.Select(t => $"{t.Key}={t.Value}"))))),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<string> Spans { get; } = new();

    public void Dispose() => _listener.Dispose();
}
