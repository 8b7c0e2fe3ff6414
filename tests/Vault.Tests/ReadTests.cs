using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

public sealed class ReadTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static async Task<HttpResponseMessage> ReadAsync(HttpClient client, IEnumerable<string> tokens, string? purpose, string? processorId = null, Guid? approvalId = null) =>
        await client.PostAsJsonAsync("/v1/detokenize", new { tokens, purpose, processorId, approvalId });

    private Task<int> LogCountAsync(string subjectId, string outcome) =>
        factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == subjectId && a.Outcome == outcome));

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task A_read_without_a_purpose_is_refused()
    {
        var tokens = await factory.StoreAsync("nopurpose-1", "device", new { model = "Mi" }, "collected");
        using var client = factory.Backend();

        using var missing = await ReadAsync(client, tokens.Values, null);
        using var malformed = await ReadAsync(client, tokens.Values, "Not A Purpose!");

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.DoesNotContain("Mi", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task A_kept_consent_allows_a_read_and_a_withdrawal_event_denies_the_next()
    {
        var tokens = await factory.StoreAsync("consent-1", "device", new { model = "Redmi" }, "collected");
        await factory.GrantAsync("consent-1", "service.optimisation");
        using var client = factory.Backend();

        using var allowed = await ReadAsync(client, tokens.Values, "service.optimisation");
        factory.Consent.Answers[("consent-1", "service.optimisation")] = false;
        await factory.PublishAsync(new ConsentWithdrawn("consent-1", "service.optimisation", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () => !await factory.WithDbAsync(db => db.ConsentDecisions.AnyAsync(d => d.SubjectId == "consent-1")),
            TimeSpan.FromSeconds(20), "the withdrawal reached the vault");
        using var denied = await ReadAsync(client, tokens.Values, "service.optimisation");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("Redmi", (await allowed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("values")[0].GetProperty("value").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("no-consent", (await denied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(1, await LogCountAsync("consent-1", "denied"));
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task An_unknown_decision_is_asked_from_the_consent_service_with_the_service_identity_and_kept()
    {
        var tokens = await factory.StoreAsync("asked-1", "usage", new { pages = "home,cart" }, "collected");
        factory.Consent.Answers[("asked-1", "offers.relevant")] = true;
        var before = factory.Consent.Questions;
        using var client = factory.Backend();

        using var first = await ReadAsync(client, tokens.Values, "offers.relevant");
        using var second = await ReadAsync(client, tokens.Values, "offers.relevant");
        using var other = await ReadAsync(client, tokens.Values, "service.optimisation");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(2, factory.Consent.Questions - before); // the kept answer served the second read
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task When_the_consent_service_cannot_answer_the_read_is_denied()
    {
        var tokens = await factory.StoreAsync("down-1", "usage", new { pages = "x" }, "collected");
        factory.Consent.Answers[("down-1", "service.provide")] = true;
        factory.Consent.Down = true;
        try
        {
            using var client = factory.Backend();
            using var response = await ReadAsync(client, tokens.Values, "service.provide");

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("consent-service-unavailable", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
            Assert.False(await factory.WithDbAsync(db => db.ConsentDecisions.AnyAsync(d => d.SubjectId == "down-1")));
        }
        finally
        {
            factory.Consent.Down = false;
        }
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task A_recorded_legal_basis_carries_a_read_for_its_purpose_without_consent()
    {
        var tokens = await factory.StoreAsync("basis-1", "delivery", new { address = "3 Nanjing Rd" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        var before = factory.Consent.Questions;
        using var client = factory.Backend();

        using var response = await ReadAsync(client, tokens.Values, "delivery.offline");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, factory.Consent.Questions);
        var entry = await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == "basis-1" && a.Action == "read").SingleAsync());
        Assert.Contains("basis=contract", entry.Detail);
    }

    [Fact]
    [Trait("Clause", "IWK-3.2")]
    public async Task A_minors_data_is_read_only_with_the_guardians_consent()
    {
        var tokens = await factory.StoreAsync("minor-1", "usage", new { games = "chess" }, "collected");
        using var client = factory.Backend();
        using var profile = await client.PutAsJsonAsync("/v1/subjects/minor-1/profile", new { isMinor = true, guardianSubjectId = "guardian-1" });
        await factory.GrantAsync("minor-1", "service.provide");

        using var withoutGuardian = await ReadAsync(client, tokens.Values, "service.provide");
        await factory.GrantAsync("guardian-1", "service.provide");
        using var withGuardian = await ReadAsync(client, tokens.Values, "service.provide");

        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withoutGuardian.StatusCode);
        Assert.Equal("no-guardian-consent", (await withoutGuardian.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, withGuardian.StatusCode);
    }

    [Fact]
    public async Task A_minors_profile_must_name_a_guardian()
    {
        using var client = factory.Backend();
        using var response = await client.PutAsJsonAsync("/v1/subjects/minor-2/profile", new { isMinor = true });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "minor-2")));
    }

    [Fact]
    [Trait("Clause", "INF-5.2")]
    public async Task A_processor_reads_only_when_registered_and_instructed_for_the_purpose_and_is_named_in_the_log()
    {
        var tokens = await factory.StoreAsync("proc-1", "device", new { model = "OnePlus" }, "collected");
        await factory.GrantAsync("proc-1", "service.provide");
        await factory.GrantAsync("proc-1", "service.optimisation");
        using var backend = factory.Backend();
        using var officer = factory.Officer();

        using var unregistered = await ReadAsync(backend, tokens.Values, "service.provide", "cloud-sms");
        using var registered = await officer.PutAsJsonAsync("/v1/processors/cloud-sms", new { name = "Cloud SMS Ltd", purposes = new[] { "service.provide" } });
        using var instructed = await ReadAsync(backend, tokens.Values, "service.provide", "cloud-sms");
        using var notInstructed = await ReadAsync(backend, tokens.Values, "service.optimisation", "cloud-sms");

        Assert.Equal(HttpStatusCode.Forbidden, unregistered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, instructed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notInstructed.StatusCode);
        Assert.Equal("processor-not-instructed", (await notInstructed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        var read = await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "proc-1" && a.Outcome == "allowed" && a.Action == "read"));
        Assert.Equal("cloud-sms", read.ProcessorId);
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task The_highest_protection_level_needs_an_approval_that_serves_one_read()
    {
        var tokens = await factory.StoreAsync("high-1", "identity", new { id_number = "110101199003077777" });
        await factory.GrantAsync("high-1", "protection");
        using var backend = factory.Backend();
        using var officer = factory.Officer();

        using var withoutApproval = await ReadAsync(backend, tokens.Values, "protection");
        using var approved = await officer.PostAsJsonAsync("/v1/approvals",
            new { subjectId = "high-1", category = "identity", purpose = "protection", accessor = "dev-product-backend" });
        var approvalId = (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("approvalId").GetGuid();
        using var withApproval = await ReadAsync(backend, tokens.Values, "protection", approvalId: approvalId);
        using var reused = await ReadAsync(backend, tokens.Values, "protection", approvalId: approvalId);

        Assert.Equal(HttpStatusCode.Forbidden, withoutApproval.StatusCode);
        // Without an approval the read needs the caller's second factor (and separate consent): see SensitiveReadTests.
        Assert.Equal("second-factor-required", (await withoutApproval.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withApproval.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reused.StatusCode);
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task Only_privacy_officers_grant_approvals_and_only_for_the_highest_level()
    {
        using var backend = factory.Backend();
        using var officer = factory.Officer();

        using var byBackend = await backend.PostAsJsonAsync("/v1/approvals",
            new { subjectId = "high-2", category = "identity", purpose = "service.provide", accessor = "dev-product-backend" });
        using var lowLevel = await officer.PostAsJsonAsync("/v1/approvals",
            new { subjectId = "high-2", category = "device", purpose = "service.provide", accessor = "dev-product-backend" });

        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, lowLevel.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task Unknown_tokens_and_bad_token_lists_are_refused_without_detail()
    {
        using var client = factory.Backend();

        using var unknown = await ReadAsync(client, ["tk_doesnotexist"], "service.provide");
        using var empty = await ReadAsync(client, [], "service.provide");
        using var tooMany = await ReadAsync(client, Enumerable.Range(0, 101).Select(i => $"tk_{i}"), "service.provide");
        using var people = factory.CreateClientFor(SuiteRoles.Subject, "someone");
        using var wrongRole = await ReadAsync(people, ["tk_x"], "service.provide");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongRole.StatusCode);
    }

    [Fact]
    public async Task Equality_search_by_email_or_phone_finds_tokens_without_returning_values()
    {
        var tokens = await factory.StoreAsync("lookup-1", "contact", new { email = "Wang.Fang@Example.cn", phone = "+86 139-0000-0002" });
        using var client = factory.Backend();

        using var byEmail = await client.PostAsJsonAsync("/v1/lookup", new { field = "email", value = " wang.fang@example.CN " });
        using var byPhone = await client.PostAsJsonAsync("/v1/lookup", new { field = "phone", value = "+8613900000002" });
        using var byName = await client.PostAsJsonAsync("/v1/lookup", new { field = "name", value = "Wang Fang" });

        var email = await byEmail.Content.ReadAsStringAsync();
        Assert.Contains(tokens["email"], email);
        Assert.DoesNotContain("example", email, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(tokens["phone"], await byPhone.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, byName.StatusCode);
        var lookup = await factory.WithDbAsync(db => db.Values.Where(v => v.Token == tokens["email"]).Select(v => v.LookupToken).SingleAsync());
        Assert.StartsWith("lk_", lookup);
    }
}
