using System.Net;
using System.Net.Http.Json;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// Issue 18.3, the consent service's own part of "guardians are real": who may be a guardian (a registered, active adult
/// who would need no guardian themselves), and that a grant the vault cannot verify writes nothing. The vault's codes
/// stand in here (<see cref="VaultGuardianCodes"/>); Vault.Tests' GuardianTests run the attacks against the real vault.
/// Its own database: a test raises a policy's guardian age.
/// </summary>
public sealed class GuardianTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task A_grant_the_vault_cannot_verify_now_is_a_503_and_writes_nothing()
    {
        using var client = factory.CreateProductBackendClient();
        var minor = await client.RegisterAsync(birthDate: Api.BornYearsAgo(12));
        var guardian = await factory.GuardianForAsync(client, minor);
        var before = await DatabaseSnapshot.RowCountsAsync(factory.DatabaseConnectionString);

        factory.Vault.Down = true;
        HttpResponseMessage refused;
        try
        {
            refused = await client.GrantAsync(minor, "service.provide", guardian: guardian);
        }
        finally
        {
            factory.Vault.Down = false;
        }

        using var _ = refused;
        Assert.Equal("guardian-verification-unavailable", (await refused.ProblemAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("reason").GetString());
        Assert.Empty(DatabaseSnapshot.Differences(before, await DatabaseSnapshot.RowCountsAsync(factory.DatabaseConnectionString)));
        Assert.False((await client.CheckAsync(minor, "service.provide")).Allowed);

        // Once the vault answers, the same code verifies: it was not spent.
        await client.GrantOkAsync(minor, "service.provide", guardian: guardian);
        Assert.True((await client.CheckAsync(minor, "service.provide")).Allowed);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task A_cancelled_guardian_cannot_consent_and_the_code_is_not_spent()
    {
        using var client = factory.CreateProductBackendClient();
        var minor = await client.RegisterAsync(birthDate: Api.BornYearsAgo(12));
        var guardian = await factory.GuardianForAsync(client, minor);
        using (var cancelled = await client.PostAsync($"/v1/subjects/{guardian.GuardianId}/cancellation", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }

        var asked = factory.Vault.Redemptions;
        using var refused = await client.GrantAsync(minor, "service.provide", guardian: guardian);

        Assert.Equal("guardian-not-active", (await refused.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());
        Assert.Equal(asked, factory.Vault.Redemptions);
        Assert.False((await client.CheckAsync(minor, "service.provide")).Allowed);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task A_guardian_must_be_18_and_past_the_guardian_age_of_both_policies()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        using (var raised = await officer.PublishVersionAsync("iwalk-scooter", new { version = $"v{Guid.NewGuid():N}"[..20], guardianAge = 21 }))
        {
            Assert.Equal(HttpStatusCode.Created, raised.StatusCode);
        }

        var infobirdMinor = await client.RegisterAsync(birthDate: Api.BornYearsAgo(10));
        var iwalkMinor = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(10));
        var nineteenUnderInfobird = await client.RegisterAsync(birthDate: Api.BornYearsAgo(19));
        var nineteenUnderIwalk = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(19));
        var adultBand = await client.RegisterAsync(ageBand: "18-plus");

        // iwalk-scooter counts 19-year-olds as minors: one cannot consent for a child there, nor be a guardian under it.
        using var forIwalk = await client.GrantAsync(iwalkMinor, "iwalk.service.provide", guardian: factory.Vault.Issue(nineteenUnderInfobird, iwalkMinor));
        using var underIwalk = await client.GrantAsync(infobirdMinor, "service.provide", guardian: factory.Vault.Issue(nineteenUnderIwalk, infobirdMinor));
        Assert.Equal("guardian-not-adult", (await forIwalk.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());
        Assert.Equal("guardian-not-adult", (await underIwalk.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());

        // Under infobird's 18, a 19-year-old and the age band 18-plus are adults.
        await client.GrantOkAsync(infobirdMinor, "service.provide", guardian: factory.Vault.Issue(nineteenUnderInfobird, infobirdMinor));
        await client.GrantOkAsync(infobirdMinor, "surveys", guardian: factory.Vault.Issue(adultBand, infobirdMinor));
        Assert.True((await client.CheckAsync(infobirdMinor, "service.provide")).Allowed);
    }
}
