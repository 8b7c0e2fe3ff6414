using System.Net;
using System.Net.Http.Json;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// IWK-3.3: a policy that raises its guardian age turns some consents into a minor's consent without a guardian's; the
/// data collected on them must go, so consent tells retention. Its own database: the test changes the policy.
/// </summary>
public sealed class MinorDetectionTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    private async Task PublishAsync(int guardianAge)
    {
        // The guardian age is a rule for everyone: the privacy officer's to change.
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        using var response = await officer.PublishVersionAsync("infobird",
            new { version = $"v{Guid.NewGuid():N}"[..20], changedPurposes = Array.Empty<string>(), guardianAge });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task Raising_the_guardian_age_reports_each_minor_who_consented_without_a_guardian_and_nobody_else()
    {
        using var client = factory.CreateProductBackendClient();
        await using var probe = await EventProbe<MinorWithoutGuardianConsentDetected>.StartAsync(await factory.TestBusAsync());
        await PublishAsync(14);
        var sixteen = await client.RegisterAsync(birthDate: Api.BornYearsAgo(16));
        var sixteenWithGuardian = await client.RegisterAsync(birthDate: Api.BornYearsAgo(16));
        var band = await client.RegisterAsync(ageBand: "14-17");
        var adult = await client.RegisterAsync();
        var sixteenWithoutConsent = await client.RegisterAsync(birthDate: Api.BornYearsAgo(16));
        await client.GrantOkAsync(sixteen, "service.provide");
        await client.GrantOkAsync(band, "service.provide");
        await client.GrantOkAsync(adult, "service.provide");
        await client.GrantOkAsync(sixteenWithGuardian, "service.provide", guardian: await factory.GuardianForAsync(client, sixteenWithGuardian));
        Assert.True((await client.CheckAsync(sixteen, "service.provide")).Allowed);

        await PublishAsync(18);

        var check = await client.CheckAsync(sixteen, "service.provide");
        Assert.Equal("guardian-consent-required", check.Reason);
        await probe.WaitForAsync(e => e.SubjectId == sixteen, "the sixteen-year-old who consented alone was reported");
        await probe.WaitForAsync(e => e.SubjectId == band, "the 14-17 age band who consented alone was reported");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var reported = await factory.OutboxSubjectsAsync(nameof(MinorWithoutGuardianConsentDetected));
        Assert.Equal(new[] { band, sixteen }.Order(StringComparer.Ordinal), reported.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(adult, reported);
        Assert.DoesNotContain(sixteenWithGuardian, reported);
        Assert.DoesNotContain(sixteenWithoutConsent, reported);
    }

    [Fact]
    public async Task Publishing_without_raising_the_guardian_age_reports_nobody()
    {
        using var client = factory.CreateProductBackendClient();
        var before = (await factory.OutboxSubjectsAsync(nameof(MinorWithoutGuardianConsentDetected))).Count;

        await PublishAsync(18);
        await PublishAsync(14);

        Assert.Equal(before, (await factory.OutboxSubjectsAsync(nameof(MinorWithoutGuardianConsentDetected))).Count);
    }
}
