using PrivacySuite.AppHost.Hosting;
using PrivacySuite.FailoverDrill;

namespace PrivacySuite.Suite.Tests;

/// <summary>A topology of its own, because the test stops it.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_apphost_leaves_no_process_behind_and_postgres_shut_down_cleanly()
    {
        var stateDir = SuiteFixture.NewStateDir();
        var suite = await RunningSuite.StartAsync(stateDir, TimeSpan.FromSeconds(420));
        var ports = new[] { "postgres-beijing", "postgres-guangzhou" }.Select(r => suite.Endpoint(r, "tcp").Port)
            .Concat(new[] { "rabbitmq-beijing", "rabbitmq-guangzhou" }.Select(r => suite.Endpoint(r, "amqp").Port))
            .Concat(new[] { "rabbitmq-beijing-epmd", "rabbitmq-guangzhou-epmd" }.Select(r => suite.Endpoint(r, "tcp").Port))
            .Concat(RunningSuite.ResourceNames.Where(n => !n.StartsWith("postgres", StringComparison.Ordinal) && !n.StartsWith("rabbitmq", StringComparison.Ordinal)
                                                          && !n.StartsWith("maildev", StringComparison.Ordinal)).Select(n => suite.Endpoint(n).Port))
            .ToList();

        try
        {
            // Ctrl-C's path, without the fall-back kill of DisposeAsync: a stop that hangs fails here.
            await suite.StopAsync(TimeSpan.FromSeconds(90));
        }
        finally
        {
            await suite.DisposeAsync();
        }

        // DCP goes on cleaning for a few seconds after the AppHost has stopped (ASPIRE.md).
        await Eventually.HoldsAsync(() => Task.FromResult(!ProcessTable.CommandLines().Any(c => c.Contains(stateDir, StringComparison.Ordinal))),
            TimeSpan.FromSeconds(30), "no process of the suite left (PostgreSQL, RabbitMQ, its epmd, MailDev, services)");
        Assert.All(ports, port => Assert.False(Ports.IsInUse(port), $"port {port} is still taken"));
        foreach (var region in RunningSuite.Regions)
        {
            var (_, control) = await ChildProcess.RunAsync(Binaries.Postgres("pg_controldata"), [Path.Combine(stateDir, $"postgres-{region}", "data")]);
            Assert.Matches(@"Database cluster state:\s+shut down", control);
        }

        Directory.Delete(stateDir, recursive: true);
    }
}
