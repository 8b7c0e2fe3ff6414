using System.Net.Http.Json;
using PrivacySuite.AppHost.Hosting.Model;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.FailoverDrill;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Suite.Tests;

/// <summary>The failover drill of eng/failover-drill.sh, against the whole suite: Beijing killed hard, Guangzhou promoted, Beijing back.</summary>
public sealed class FailoverDrillTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    private readonly Action<string> _output = TestOutput.Sink("drill");

    [Fact]
    [Trait("Clause", "INF-1.4")]
    [Trait("Clause", "INF-3.2")]
    public async Task Losing_the_primary_region_loses_no_acknowledged_write_and_the_roles_switch_back()
    {
        var result = await Drill.RunAsync(suite.App, DrillOptions.Default, _output);
        _output(result.Summary);
        _output(result.Details);

        Assert.Equal(0, result.LostAcknowledged);
        Assert.Equal(0, result.UndeliveredEvents);
        Assert.Equal(0, result.DuplicateEffects);
        Assert.True(result.AcknowledgedWrites > 0, "the drill acknowledged no write at all");
        Assert.True(result.RtoSeconds <= DrillResult.RtoGoalSeconds, $"writes resumed {result.RtoSeconds:0.0} s after the kill");
        Assert.True(result.StandbyReads > 0);
        Assert.Equal(0, result.StandbyReadFailures);
        Assert.NotNull(result.FailbackSeconds);

        // After the failback exactly one region takes writes: Guangzhou passes them to Beijing, whose database is the only writable one.
        var coordinator = suite.App.RegionCoordinator!;
        Assert.Equal("beijing", coordinator.Primary.Name);
        Assert.False(await PostgresReplication.IsInRecoveryAsync(((PostgresResource)suite.App["postgres-beijing"]).Server));
        await Eventually.HoldsAsync(() => IsStandbyAsync((PostgresResource)suite.App["postgres-guangzhou"]),
            TimeSpan.FromSeconds(90), "postgres-guangzhou back as a standby");
        await suite.AllHealthyAsync();

        using var guangzhou = new HttpClient { BaseAddress = new Uri(suite.App["consent-guangzhou"].Endpoint("http").Url) };
        guangzhou.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, DevCredentials.LoadOrCreate(suite.StateDir).ProductBackendApiKey);
        await Eventually.HoldsAsync(async () =>
        {
            using var write = await guangzhou.PostAsJsonAsync("/v1/subjects", new { subjectId = $"after-drill-{Guid.NewGuid():N}"[..30], policyId = "infobird", ageBand = "18-plus" });
            return write.IsSuccessStatusCode && write.Headers.TryGetValues(StandbyForwarding.ForwardedFromHeader, out var from) && from.Single() == "guangzhou";
        }, TimeSpan.FromSeconds(30), "a write sent to Guangzhou is passed to the primary, Beijing");
    }

    private static async Task<bool> IsStandbyAsync(PostgresResource postgres)
    {
        try
        {
            return await PostgresReplication.IsInRecoveryAsync(postgres.Server);
        }
        catch (Npgsql.NpgsqlException)
        {
            return false; // being rebuilt from the new primary
        }
    }
}
