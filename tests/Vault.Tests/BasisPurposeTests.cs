using System.Text.Json.Nodes;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Issue 18.5, "a legal basis covers its purposes only": each test tries an attack that worked before and fails if it
/// still does. A value stored under a non-consent basis was readable for any purpose; a purpose could read any category.
/// </summary>
public sealed class BasisPurposeTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private async Task<(HttpStatusCode Status, string? Reason)> ReadAsync(IEnumerable<string> tokens, string purpose)
    {
        using var client = factory.Backend();
        using var response = await client.PostAsJsonAsync("/v1/detokenize", new { tokens, purpose });
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return (response.StatusCode, null);
        }

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("@example.cn", body); // a refusal hands back no value
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString());
    }

    private Task<(HttpStatusCode Status, string? Reason)> ReadAsync(string token, string purpose) => ReadAsync([token], purpose);

    private Task<List<string>> ReadLogAsync(string subjectId) =>
        factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == subjectId && a.Action == "read").OrderBy(a => a.Position)
            .Select(a => a.Purpose + " " + a.Outcome + " " + a.Detail).ToListAsync());

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    public async Task A_non_consent_basis_carries_reads_only_for_the_purposes_it_was_recorded_for_and_any_other_needs_consent()
    {
        var tokens = await factory.StoreAsync("bp-1", "contact", new { email = "bp-1@example.cn" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        var asked = factory.Consent.Questions;

        var forItsPurpose = await ReadAsync(tokens["email"], "delivery.offline");
        var questionsForIt = factory.Consent.Questions - asked;
        // The attack: the same value, for a purpose the contract was never recorded for (surveys read contact data).
        var forAnother = await ReadAsync(tokens["email"], "surveys");
        var essential = await ReadAsync(tokens["email"], "service.provide");
        await factory.GrantAsync("bp-1", "surveys");
        var withConsent = await ReadAsync(tokens["email"], "surveys");

        Assert.Equal((HttpStatusCode.OK, null), forItsPurpose);
        Assert.Equal(0, questionsForIt); // the basis carried it; the consent service was not asked
        Assert.Equal((HttpStatusCode.Forbidden, "no-consent"), forAnother);
        Assert.Equal((HttpStatusCode.Forbidden, "no-consent"), essential);
        Assert.Equal(HttpStatusCode.OK, withConsent.Status); // the fallback is the consent decision, which now allows
        Assert.Equal([
            "delivery.offline allowed tokens=1;basis=contract",
            "surveys denied reason=no-consent",
            "service.provide denied reason=no-consent",
            "surveys allowed tokens=1;basis=consent",
        ], await ReadLogAsync("bp-1"));
        var write = await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "bp-1" && a.Action == "write"));
        Assert.Contains("basis=contract;purposes=delivery.offline;", write.Detail);
    }

    [Theory]
    [Trait("Clause", "IWK-1.3")]
    [InlineData("safe-operation")]
    [InlineData("vital-interests")]
    [InlineData("public-safety")]
    public async Task Every_listed_ground_is_bound_to_its_purposes(string basis)
    {
        var subject = $"bp-ground-{basis}";
        var tokens = await factory.StoreAsync(subject, "usage", new { pages = "login,checkout" }, "collected", basis, ["protection", "iwalk.transaction-security"]);

        var recorded = await ReadAsync(tokens["pages"], "protection");
        var alsoRecorded = await ReadAsync(tokens["pages"], "iwalk.transaction-security");
        var marketing = await ReadAsync(tokens["pages"], "offers.relevant");

        Assert.Equal(HttpStatusCode.OK, recorded.Status);
        Assert.Equal(HttpStatusCode.OK, alsoRecorded.Status);
        Assert.Equal((HttpStatusCode.Forbidden, "no-consent"), marketing);
    }

    [Fact]
    [Trait("Clause", "INF-4.1")]
    [Trait("Clause", "INF-3.3")]
    public async Task A_purpose_reads_only_the_categories_the_catalogue_gives_it_whatever_the_basis_or_consent()
    {
        var location = await factory.StoreAsync("bp-cat-1", "location", new { gps = "31.2304,121.4737" }, "collected");
        var usage = await factory.StoreAsync("bp-cat-1", "usage", new { pages = "map" }, "collected");
        var contact = await factory.StoreAsync("bp-cat-1", "contact", new { email = "bp-cat-1@example.cn" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        await factory.GrantAsync("bp-cat-1", "service.provide");
        await factory.GrantAsync("bp-cat-1", "offers.relevant");

        // Consent to service.provide, but the catalogue gives it no location data.
        var asked = factory.Consent.Questions;
        var byConsent = await ReadAsync(location["gps"], "service.provide");
        var questions = factory.Consent.Questions - asked;
        // A value the purpose may read does not carry one it may not: the whole read is refused.
        var mixed = await ReadAsync([usage["pages"], location["gps"]], "service.provide");
        // Consent to offers.relevant and a contract basis, but offers read only usage data.
        var byBasisAndConsent = await ReadAsync(contact["email"], "offers.relevant");
        var allowed = await ReadAsync(usage["pages"], "service.provide");

        Assert.Equal((HttpStatusCode.Forbidden, "category-not-for-purpose"), byConsent);
        Assert.Equal((HttpStatusCode.Forbidden, "category-not-for-purpose"), mixed);
        Assert.Equal((HttpStatusCode.Forbidden, "category-not-for-purpose"), byBasisAndConsent);
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(0, questions); // refused on the catalogue alone
        var log = await ReadLogAsync("bp-cat-1");
        Assert.Contains("service.provide denied reason=category-not-for-purpose", log);
        Assert.Contains("offers.relevant denied reason=category-not-for-purpose", log);
    }

    [Fact]
    [Trait("Clause", "INF-4.1")]
    public async Task A_purpose_the_catalogue_lacks_reads_nothing_and_one_it_gains_is_known_at_once()
    {
        var tokens = await factory.StoreAsync("bp-new-1", "usage", new { pages = "faq" }, "collected");
        await factory.GrantAsync("bp-new-1", "research.churn");

        var unknown = await ReadAsync(tokens["pages"], "research.churn");
        // A policy version adds the purpose: the vault learns of it on the first read that names it (within a second).
        factory.Consent.Purposes["research.churn"] = ["Usage"];
        await Eventually.HoldsAsync(async () => (await ReadAsync(tokens["pages"], "research.churn")).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(5), "the vault knows the new purpose");

        Assert.Equal((HttpStatusCode.Forbidden, "unknown-purpose"), unknown);
    }

    [Theory]
    [Trait("Clause", "IWK-1.3")]
    [InlineData("contact", "contract", null, 400, "purposes")]
    [InlineData("contact", "vital-interests", "[]", 400, "purposes")]
    [InlineData("contact", "contract", """["delivery.offline","delivery.offline"]""", 400, "purposes")]
    [InlineData("contact", "contract", """["Delivery Offline"]""", 400, "purposes")]
    [InlineData("contact", "consent", """["surveys"]""", 400, "purposes")]
    [InlineData("delivery", "contract", null, 400, "purposes")]
    [InlineData("delivery", null, null, 400, "legalBasis")] // no basis is assumed, not even delivery's only one
    [InlineData("contact", "contract", """["made.up"]""", 422, "unknown-purpose")]
    [InlineData("location", "contract", """["service.provide"]""", 422, "category-not-for-purpose")]
    public async Task A_basis_without_valid_catalogue_purposes_for_its_category_is_refused_and_nothing_is_written(
        string category, string? basis, string? purposes, int status, string fieldOrReason)
    {
        var body = new JsonObject { ["category"] = category, ["source"] = "provided", ["fields"] = new JsonObject { ["note"] = "x" } };
        if (basis is not null)
        {
            body["legalBasis"] = basis;
        }

        if (purposes is not null)
        {
            body["purposes"] = JsonNode.Parse(purposes);
        }

        var before = await factory.WithDbAsync(db => db.Values.CountAsync());
        using var client = factory.Backend();

        using var response = await client.PostAsync("/v1/subjects/bp-bad-1/data", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (status == 400)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(fieldOrReason, out _), problem.ToString());
        }
        else
        {
            Assert.Equal(fieldOrReason, problem.GetProperty("reason").GetString());
        }

        Assert.Equal(before, await factory.WithDbAsync(db => db.Values.CountAsync()));
    }

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    public async Task A_value_stored_before_bases_named_purposes_needs_consent_for_every_purpose()
    {
        var tokens = await factory.StoreAsync("bp-old-1", "delivery", new { address = "5 Old Street" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        // What migration 0006 gives a row stored before it: a basis recorded for no purpose.
        await factory.ExecuteSqlAsync("update personal_values set basis_purposes = '{}' where subject_id = 'bp-old-1'");
        var asked = factory.Consent.Questions;

        var refused = await ReadAsync(tokens["address"], "delivery.offline");
        var questions = factory.Consent.Questions - asked;
        await factory.GrantAsync("bp-old-1", "delivery.offline");
        var allowed = await ReadAsync(tokens["address"], "delivery.offline");

        Assert.Equal((HttpStatusCode.Forbidden, "no-consent"), refused);
        Assert.Equal(1, questions);
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
    }

    [Fact]
    [Trait("Clause", "INF-6.2")]
    public async Task A_rectification_keeps_the_basis_and_the_purposes_it_covers()
    {
        var tokens = await factory.StoreAsync("bp-rect-1", "delivery", new { address = "6 Wrong Road" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        using var client = factory.Backend();
        var (verificationId, code) = await factory.StartRequestAsync(client, "bp-rect-1", "rectification");

        using var rectified = await client.PostAsJsonAsync("/v1/subjects/bp-rect-1/rectification",
            new { verificationId, code, category = "delivery", fields = new { address = "6 Right Road" }, reason = "moved" });
        var row = await factory.WithDbAsync(db => db.Values.AsNoTracking().SingleAsync(v => v.Token == tokens["address"]));

        Assert.Equal(HttpStatusCode.OK, rectified.StatusCode);
        Assert.Equal("contract", row.LegalBasis);
        Assert.Equal(["delivery.offline"], row.BasisPurposes);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(tokens["address"], "delivery.offline")).Status);
    }
}
