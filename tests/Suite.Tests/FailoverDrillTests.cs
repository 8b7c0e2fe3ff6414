using System.Net.Http.Json;
using PrivacySuite.FailoverDrill;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Suite.Tests;

/// <summary>The failover drill of eng/failover-drill.sh, against the whole suite: the primary killed hard, the standby promoted, the old primary back.</summary>
[Collection(SuiteCollection.Name)]
public sealed class FailoverDrillTests(SuiteFixture fixture)
{
    private readonly Action<string> _output = TestOutput.Sink("drill");

    [Fact(Skip = "Not yet stable on Aspire (issue 17): in the shared topology the standby cluster was not running when the drill failed over; run ./eng/failover-drill.sh")]
    [Trait("Clause", "INF-1.4")]
    [Trait("Clause", "INF-3.2")]
    public async Task Losing_the_primary_region_loses_no_acknowledged_write_and_the_roles_switch_back()
    {
        var suite = fixture.Suite;
        var result = await Drill.RunAsync(suite, DrillOptions.Default, _output);
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
        Assert.Equal("beijing", suite.Primary);
        await Eventually.HoldsAsync(() => Task.FromResult(suite.Property("postgres-beijing", "replication.mode") == "sync"),
            TimeSpan.FromSeconds(120), "postgres-guangzhou back as the synchronous standby");
        await fixture.AllHealthyAsync();

        using var guangzhou = suite.ProductBackend("consent-guangzhou");
        await Eventually.HoldsAsync(async () =>
        {
            using var write = await guangzhou.PostAsJsonAsync("/v1/subjects", new { subjectId = $"after-drill-{Guid.NewGuid():N}"[..30], policyId = "infobird", ageBand = "18-plus" });
            return write.IsSuccessStatusCode && write.Headers.TryGetValues(StandbyForwarding.ForwardedFromHeader, out var from) && from.Single() == "guangzhou";
        }, TimeSpan.FromSeconds(30), "a write sent to Guangzhou is passed to the primary, Beijing");
    }
}
