using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

/// <summary>Publishing versions changes the catalogue for everyone, so these tests have a database of their own.</summary>
public sealed class PolicyVersionTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    private static string NewVersion() => $"v{Guid.NewGuid():N}"[..20];

    private static Task<HttpResponseMessage> PublishAsync(HttpClient client, string policyId, object body) =>
        client.PublishVersionAsync(policyId, body);

    [Fact]
    [Trait("Clause", "INF-4.2")]
    [Trait("Clause", "INF-7.1")]
    public async Task A_changed_purpose_needs_consent_again_and_unchanged_ones_keep_theirs()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "service.optimisation");
        await client.GrantOkAsync(subject, "surveys");
        var version = NewVersion();

        using var published = await PublishAsync(officer, "infobird", new { version, changedPurposes = new[] { "service.optimisation" } });
        var changed = await client.CheckAsync(subject, "service.optimisation");
        var unchanged = await client.CheckAsync(subject, "surveys");

        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.False(changed.Allowed);
        Assert.Equal("policy-changed", changed.Reason);
        Assert.Equal(version, changed.PolicyVersion);
        Assert.True(unchanged.Allowed);
        Assert.Equal("1.0", unchanged.PolicyVersion);
    }

    [Fact]
    [Trait("Clause", "IWK-0.1")]
    [Trait("Clause", "INF-7.1")]
    public async Task Re_acceptance_is_recorded_with_the_version_shown_and_an_outdated_version_is_refused()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "service.provide");
        var version = NewVersion();
        (await PublishAsync(officer, "infobird", new { version, changedPurposes = new[] { "service.provide" } })).Dispose();
        var beforeReacceptance = await client.CheckAsync(subject, "service.provide");

        using var outdated = await client.GrantAsync(subject, "service.provide", policyVersion: "1.0");
        using var reaccepted = await client.GrantAsync(subject, "service.provide", policyVersion: version);
        var after = await client.CheckAsync(subject, "service.provide");
        var history = (await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/consents")).GetProperty("history").EnumerateArray().ToList();

        Assert.False(beforeReacceptance.Allowed);
        var problem = await outdated.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(version, problem.GetProperty("currentVersion").GetString());
        Assert.Equal(HttpStatusCode.Created, reaccepted.StatusCode);
        Assert.True(after.Allowed);
        Assert.Equal(version, after.PolicyVersion);
        Assert.Equal(["1.0", version], history.Select(h => h.GetProperty("policyVersion").GetString()!).ToArray());
    }

    [Fact]
    [Trait("Clause", "INF-7.1")]
    [Trait("Clause", "IWK-0.1")]
    public async Task Publishing_a_version_tells_everyone_through_PolicyVersionPublished()
    {
        await using var probe = await EventProbe<PolicyVersionPublished>.StartAsync(await factory.TestBusAsync());
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var version = NewVersion();

        using var published = await PublishAsync(officer, "infobird", new
        {
            version,
            changedPurposes = new[] { "offers.relevant" },
            newPurposes = new[]
            {
                new
                {
                    code = "sharing.analytics-partner", nameEn = "Sharing with an analytics partner", nameZh = "与分析合作方共享",
                    essential = false, defaultBasis = "Consent", dataCategories = new[] { "Usage" },
                    thirdPartyRecipient = "analytics partner", separateConsent = true,
                },
            },
        });
        var @event = await probe.WaitForAsync(e => e.Version == version, "PolicyVersionPublished for the new version");
        var purposes = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/purposes?policyId=infobird");

        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal("infobird", @event.PolicyId);
        Assert.Equal(["offers.relevant", "sharing.analytics-partner"], @event.ChangedPurposes.Order().ToArray());
        var added = purposes!.Single(p => p.GetProperty("code").GetString() == "sharing.analytics-partner");
        Assert.Equal(version, added.GetProperty("changedInVersion").GetString());
        Assert.Equal("analytics partner", added.GetProperty("thirdPartyRecipient").GetString());
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    public async Task Guardian_age_is_configurable_per_policy_but_never_below_14()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);

        using var tooLow = await PublishAsync(officer, "iwalk-scooter", new { version = NewVersion(), guardianAge = 13 });
        using var ok = await PublishAsync(officer, "iwalk-scooter", new { version = NewVersion(), guardianAge = 16 });
        var fifteen = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(15));
        var seventeen = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(17));
        using var fifteenGrant = await client.GrantAsync(fifteen, "iwalk.personalisation");
        using var seventeenGrant = await client.GrantAsync(seventeen, "iwalk.personalisation");
        (await PublishAsync(officer, "iwalk-scooter", new { version = NewVersion(), guardianAge = 18 })).Dispose();

        await tooLow.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(16, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("guardianAge").GetInt32());
        Assert.Equal("guardian-consent-required", (await fifteenGrant.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Created, seventeenGrant.StatusCode);
    }

    [Fact]
    [Trait("Clause", "IWK-3.2")]
    public async Task A_minors_check_is_allowed_only_with_the_guardians_consent_even_after_the_guardian_age_rises()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        (await PublishAsync(officer, "iwalk-scooter", new { version = NewVersion(), guardianAge = 14 })).Dispose();
        var withoutGuardian = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(16));
        var withGuardian = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(16));
        await client.GrantOkAsync(withoutGuardian, "iwalk.personalisation");
        await client.GrantOkAsync(withGuardian, "iwalk.personalisation", guardian: await factory.GuardianForAsync(client, withGuardian));
        Assert.True((await client.CheckAsync(withoutGuardian, "iwalk.personalisation")).Allowed);

        (await PublishAsync(officer, "iwalk-scooter", new { version = NewVersion(), guardianAge = 18 })).Dispose();
        var denied = await client.CheckAsync(withoutGuardian, "iwalk.personalisation");
        var allowed = await client.CheckAsync(withGuardian, "iwalk.personalisation");

        Assert.False(denied.Allowed);
        Assert.Equal("guardian-consent-required", denied.Reason);
        Assert.True(allowed.Allowed);
    }

    [Fact]
    public async Task A_version_is_published_once_and_bad_publications_change_nothing()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var version = NewVersion();
        (await PublishAsync(officer, "infobird", new { version })).Dispose();

        using var again = await PublishAsync(officer, "infobird", new { version });
        using var unknownPolicy = await PublishAsync(officer, "no-such-policy", new { version = NewVersion() });
        using var unknownPurpose = await PublishAsync(officer, "infobird", new { version = NewVersion(), changedPurposes = new[] { "no.such" } });
        using var otherPolicysPurpose = await PublishAsync(officer, "infobird", new { version = NewVersion(), changedPurposes = new[] { "iwalk.personalisation" } });
        using var existingAsNew = await PublishAsync(officer, "infobird", new
        {
            version = NewVersion(),
            newPurposes = new[] { new { code = "surveys", nameEn = "x", nameZh = "x", essential = false, defaultBasis = "Consent", dataCategories = new[] { "Usage" }, separateConsent = false } },
        });
        using var badCategory = await PublishAsync(officer, "infobird", new
        {
            version = NewVersion(),
            newPurposes = new[] { new { code = "new.one", nameEn = "x", nameZh = "x", essential = false, defaultBasis = "Consent", dataCategories = new[] { "Business" }, separateConsent = false } },
        });
        using var badVersion = await PublishAsync(officer, "infobird", new { version = "two words" });
        using var duplicate = await PublishAsync(officer, "infobird", new { version = NewVersion(), changedPurposes = new[] { "surveys", "surveys" } });
        using var bySubject = await PublishAsync(factory.CreateClientFor(SuiteRoles.Subject), "infobird", new { version = NewVersion() });
        // Issue 18: a product backend's key must not change the rules for everyone (invalidate consent, move the guardian age).
        using var byBackend = await PublishAsync(client, "infobird", new { version = NewVersion(), changedPurposes = new[] { "surveys" }, guardianAge = 18 });
        var purposes = await client.GetFromJsonAsync<List<JsonElement>>("/v1/purposes?policyId=infobird");

        await again.ProblemAsync(HttpStatusCode.Conflict);
        await unknownPolicy.ProblemAsync(HttpStatusCode.NotFound);
        await unknownPurpose.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        await otherPolicysPurpose.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        await existingAsNew.ProblemAsync(HttpStatusCode.Conflict);
        await badCategory.ProblemAsync(HttpStatusCode.BadRequest);
        await badVersion.ProblemAsync(HttpStatusCode.BadRequest);
        await duplicate.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Forbidden, bySubject.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.DoesNotContain(purposes!, p => p.GetProperty("code").GetString() == "new.one");
        Assert.Equal("Providing the service", purposes!.Single(p => p.GetProperty("code").GetString() == "service.provide").GetProperty("names").GetProperty("en").GetString());
    }
}
