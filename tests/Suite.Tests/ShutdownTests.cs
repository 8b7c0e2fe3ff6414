using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.Suite.Tests;

/// <summary>A topology of its own, because the test stops it.</summary>
public sealed class ShutdownTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    [Fact]
    public async Task Stopping_the_apphost_stops_services_then_infrastructure_and_leaves_nothing_behind()
    {
        var processGroups = suite.App.Resources.Select(r => r.ProcessId!.Value).ToHashSet();
        var ports = suite.App.Resources.SelectMany(r => r.Endpoints.Select(e => e.Port)).Append(suite.App.Dashboard.Port).ToList();
        var order = new List<string>();
        var console = suite.App.Console;
        suite.App.Console = line =>
        {
            lock (order)
            {
                order.Add(line);
            }

            console(line);
        };

        await suite.App.StopAsync();

        Assert.Equal(0, await suite.EntryPoint.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.All(suite.App.Resources, r => Assert.Equal(ResourceStates.Exited, r.State));
        var left = ProcessTable.Snapshot().Where(p => processGroups.Contains(p.ProcessGroup) || p.CommandLine.Contains(suite.StateDir, StringComparison.Ordinal)).ToList();
        Assert.Empty(left);
        Assert.All(ports, port => Assert.False(Ports.IsInUse(port), $"port {port} is still taken"));

        List<string> lines;
        lock (order)
        {
            lines = order.ToList();
        }

        static bool Infrastructure(string line) => line.Contains("postgres-", StringComparison.Ordinal) || line.Contains("rabbitmq-", StringComparison.Ordinal)
                                                   || line.Contains("maildev-", StringComparison.Ordinal);
        var lastServiceExit = lines.FindLastIndex(l => (l.Contains("-beijing: Exited", StringComparison.Ordinal) || l.Contains("-guangzhou: Exited", StringComparison.Ordinal)) && !Infrastructure(l));
        var firstInfrastructureStop = lines.FindIndex(l => Infrastructure(l) && l.Contains(": Stopping", StringComparison.Ordinal));
        Assert.True(lastServiceExit >= 0 && firstInfrastructureStop > lastServiceExit, "services stopped before infrastructure");
    }
}
