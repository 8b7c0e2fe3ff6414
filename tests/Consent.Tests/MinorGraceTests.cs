using System.Net;

namespace PrivacySuite.Consent.Tests;

/// <summary>The consent service with a grace period of two seconds for a minor's guardian consent, on its own database.</summary>
public sealed class ShortGraceConsentFactory : ConsentFactory
{
    public ShortGraceConsentFactory()
    {
        Settings["PrivacySuite:Consent:MinorGuardianConsentGrace"] = "00:00:02";
        Settings["PrivacySuite:Consent:MinorCheckInterval"] = "00:00:00.200";
    }

    /// <summary>How many times each subject was reported as a minor without guardian consent (published or still in the outbox).</summary>
    public async Task<Dictionary<string, int>> ReportedAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select payload->>'subjectId', count(*)::int from outbox_messages where message_type like '%MinorWithoutGuardianConsentDetected%' group by 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var reported = new Dictionary<string, int>();
        while (await reader.ReadAsync())
        {
            reported[reader.GetString(0)] = reader.GetInt32(1);
        }

        return reported;
    }
}

/// <summary>IWK-3.3 for minors who never consented: once the grace period after registration passes, they go to retention.</summary>
public sealed class MinorGraceTests(ShortGraceConsentFactory factory) : IClassFixture<ShortGraceConsentFactory>
{
    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task A_minor_still_without_guardian_consent_after_the_grace_period_is_reported_once_and_nobody_else_is()
    {
        using var client = factory.CreateProductBackendClient();
        var unconsented = await client.RegisterAsync(birthDate: Api.BornYearsAgo(10));
        var withGuardian = await client.RegisterAsync(birthDate: Api.BornYearsAgo(10));
        var band = await client.RegisterAsync(ageBand: "under-14");
        var adult = await client.RegisterAsync(birthDate: Api.BornYearsAgo(30));
        await client.GrantOkAsync(withGuardian, "service.provide", guardian: await factory.GuardianForAsync(client, withGuardian));

        await Eventually.HoldsAsync(async () => (await factory.ReportedAsync()).ContainsKey(band) && (await factory.ReportedAsync()).ContainsKey(unconsented),
            TimeSpan.FromSeconds(30), "both minors without a guardian's consent were reported");
        await Task.Delay(TimeSpan.FromSeconds(1)); // several more rounds of the check

        var reported = await factory.ReportedAsync();
        Assert.Equal(1, reported[unconsented]);
        Assert.Equal(1, reported[band]);
        Assert.DoesNotContain(withGuardian, reported.Keys);
        Assert.DoesNotContain(adult, reported.Keys);
    }
}
