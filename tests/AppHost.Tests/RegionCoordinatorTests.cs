using Npgsql;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Model;
using PrivacySuite.AppHost.Hosting.Replication;

namespace PrivacySuite.AppHost.Tests;

/// <summary>
/// Two regions of infrastructure only (a cluster and a broker each) bound by AddReplication, run by the AppHost's own
/// orchestrator: the synchronous/asynchronous fall-back, a planned failover with fencing and rejoin, and residency.
/// </summary>
public sealed class RegionCoordinatorTests : IAsyncLifetime
{
    private readonly string _stateDir = Path.Combine(
        Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } root ? root : Path.GetTempPath(),
        $"regions-{Guid.NewGuid():N}");
    private readonly Action<string> _output = TestOutput.Sink("regions");
    private DistributedApplication _app = null!;

    private RegionCoordinator Coordinator => _app.RegionCoordinator!;

    private PostgresResource Postgres(string region) => (PostgresResource)_app[$"postgres-{region}"];

    public async Task InitializeAsync()
    {
        var builder = DistributedApplication.CreateBuilder(["--state-dir", _stateDir, "--random-ports"]);
        var (beijingPostgres, beijingRabbitMq) = AddInfrastructure(builder, builder.AddRegion("beijing", isPrimary: true));
        var (guangzhouPostgres, guangzhouRabbitMq) = AddInfrastructure(builder, builder.AddRegion("guangzhou"));
        builder.AddReplication(beijingPostgres, beijingRabbitMq, guangzhouPostgres, guangzhouRabbitMq);
        _app = builder.Build();
        _app.Console = _output;
        await _app.StartAsync();
        Assert.True(await _app.WaitForAllHealthyAsync(TimeSpan.FromSeconds(120)), "both regions' infrastructure healthy");
        await Eventually.HoldsAsync(() => Task.FromResult(Coordinator.Snapshot().Replication.Mode == "sync"), TimeSpan.FromSeconds(30), "synchronous replication");
        await ExecuteAsync(Postgres("beijing"), "create table writes (id int primary key)");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_stateDir, recursive: true);
        }
        catch (IOException)
        {
            // eng/test.sh sweeps its run's root.
        }
    }

    [Fact]
    [Trait("Clause", "INF-3.2")]
    public async Task Replication_is_synchronous_falls_back_to_asynchronous_without_the_standby_and_returns_with_it()
    {
        // Lag is a metric of the standby cluster in the dashboard's telemetry window.
        await Eventually.HoldsAsync(() => Task.FromResult(_app.DashboardServer.Otlp.Store
                .Metrics(m => m.Name == "privacysuite.replication.lag_bytes" && m.Resource.Name == "postgres-guangzhou").Count > 0),
            TimeSpan.FromSeconds(10), "replication lag recorded as a metric");

        // Synchronous with remote_apply: a committed row is readable on the standby the moment the commit returns.
        await ExecuteAsync(Postgres("beijing"), "insert into writes values (1)");
        Assert.Equal(1L, await ScalarAsync(Postgres("guangzhou"), "select count(*) from writes where id = 1"));

        _app.Command("postgres-guangzhou", ResourceCommands.Stop);
        await Eventually.HoldsAsync(() => Task.FromResult(Coordinator.Snapshot().Replication.Mode == "async"),
            RegionCoordinator.SyncGrace + TimeSpan.FromSeconds(10), "the fall-back to asynchronous replication");

        // The primary keeps taking writes while the standby is gone.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await ExecuteAsync(Postgres("beijing"), "insert into writes values (2)", timeout.Token);
        }

        _app.Command("postgres-guangzhou", ResourceCommands.Start);
        await Eventually.HoldsAsync(() => Task.FromResult(Coordinator.Snapshot().Replication.Mode == "sync"), TimeSpan.FromSeconds(30), "synchronous again");
        Assert.Equal(2L, await ScalarAsync(Postgres("guangzhou"), "select count(*) from writes"));
    }

    [Fact]
    [Trait("Clause", "INF-1.4")]
    public async Task A_planned_failover_fences_the_old_primary_and_brings_it_back_as_the_standby()
    {
        await ExecuteAsync(Postgres("beijing"), "insert into writes values (10)");

        // As an operator would: the CLI finds the AppHost through dashboard.json in the state folder.
        var (code, output) = await PrivacyAsync("region", "failover", "--to", "guangzhou", "--state-dir", _stateDir);

        Assert.Equal(0, code);
        Assert.Contains("Failover beijing -> guangzhou done", output, StringComparison.Ordinal);
        Assert.Contains("fenced (SIGKILL)", output, StringComparison.Ordinal);
        Assert.True(Coordinator.Snapshot().LastFailover!.Planned);
        Assert.Equal("guangzhou", Coordinator.Primary.Name);
        Assert.False(await PostgresReplication.IsInRecoveryAsync(Postgres("guangzhou").Server));
        await ExecuteAsync(Postgres("guangzhou"), "insert into writes values (11)");

        // The old primary comes back only as a standby of the new one: never two primaries.
        await Eventually.HoldsAsync(async () => Postgres("beijing").IsReady && await PostgresReplication.IsInRecoveryAsync(Postgres("beijing").Server),
            TimeSpan.FromSeconds(90), "postgres-beijing rebuilt as a standby");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(Postgres("beijing"), "insert into writes values (12)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        await Eventually.HoldsAsync(async () => await ScalarAsync(Postgres("beijing"), "select count(*) from writes where id in (10, 11)") == 2,
            TimeSpan.FromSeconds(10), "both writes on the rebuilt standby");

        // The roles outlive the AppHost: they are in the state folder.
        Assert.Equal("guangzhou", new RegionRoles(_stateDir, "beijing").Primary);
        (code, output) = await PrivacyAsync("region", "failover", "--to", "guangzhou", "--state-dir", _stateDir);
        Assert.Equal(1, code);
        Assert.Contains("409", output, StringComparison.Ordinal);
        Assert.Contains("primary already", output, StringComparison.Ordinal);

        await Eventually.HoldsAsync(() => Task.FromResult(Coordinator.Snapshot().Replication.Mode == "sync"), TimeSpan.FromSeconds(30), "synchronous to the new standby");
        (code, output) = await PrivacyAsync("region", "status", "--state-dir", _stateDir);
        Assert.Equal(0, code);
        Assert.Matches(@"guangzhou\s+.\s+CN\s+.\s+primary", output);
        Assert.Contains("Replication: sync", output, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Clause", "INF-3.2")]
    public async Task A_primary_that_lost_its_data_is_not_restarted_empty_and_rejoins_after_a_failover()
    {
        await ExecuteAsync(Postgres("beijing"), "insert into writes values (20)");
        _app.Command("postgres-beijing", ResourceCommands.Stop);
        await Eventually.HoldsAsync(() => Task.FromResult(Postgres("beijing").ProcessId is null), TimeSpan.FromSeconds(30), "postgres-beijing stopped");
        Directory.Delete(Postgres("beijing").Server.DataDirectory, recursive: true);

        _app.Command("postgres-beijing", ResourceCommands.Start);
        await Eventually.HoldsAsync(() => Task.FromResult(Postgres("beijing").State == ResourceStates.FailedToStart), TimeSpan.FromSeconds(30), "the empty primary refused");
        Assert.Contains(Postgres("beijing").Log.After(0), l => l.Text.Contains("Refusing to create an empty primary", StringComparison.Ordinal));

        // Unplanned: the old primary is down. Guangzhou is promoted with the row, and Beijing's next start clones it.
        var report = await Coordinator.FailoverAsync("guangzhou");
        Assert.False(report.Planned);
        Assert.Equal(1L, await ScalarAsync(Postgres("guangzhou"), "select count(*) from writes where id = 20"));
        await Eventually.HoldsAsync(async () => Postgres("beijing").IsReady && await PostgresReplication.IsInRecoveryAsync(Postgres("beijing").Server),
            TimeSpan.FromSeconds(90), "postgres-beijing back as the standby of guangzhou");
        Assert.Equal(1L, await ScalarAsync(Postgres("beijing"), "select count(*) from writes where id = 20"));
    }

    private static async Task<(int Code, string Output)> PrivacyAsync(params string[] args)
    {
        var writer = new StringWriter();
        var code = await PrivacySuite.Cli.PrivacyCli.RunAsync(args, PrivacySuite.Cli.PrivacyCli.CreateConsole(redirected: true, writer), c => c.CreateHttpClient());
        return (code, writer.ToString());
    }

    internal static (ResourceBuilder<PostgresResource>, ResourceBuilder<RabbitMqResource>) AddInfrastructure(DistributedApplicationBuilder builder, Region region) =>
        (builder.AddPostgres($"postgres-{region.Name}", region, port: 0, passwordName: "postgres"),
         builder.AddRabbitMQ($"rabbitmq-{region.Name}", region, port: 0, managementPort: 0, distributionPort: 0, epmdPort: 0));

    private static async Task ExecuteAsync(PostgresResource postgres, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> ScalarAsync(PostgresResource postgres, string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>Data residency for the regions (INF-2.1): the topology refuses a replica abroad before anything starts.</summary>
public sealed class ResidencyTests
{
    [Fact]
    [Trait("Clause", "INF-2.1")]
    public void A_replica_outside_the_jurisdiction_is_refused()
    {
        var stateDir = Path.Combine(
            Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } root ? root : Path.GetTempPath(),
            $"residency-{Guid.NewGuid():N}");
        var builder = DistributedApplication.CreateBuilder(["--state-dir", stateDir, "--random-ports"]);
        var (beijingPostgres, beijingRabbitMq) = RegionCoordinatorTests.AddInfrastructure(builder, builder.AddRegion("beijing", isPrimary: true));
        var (frankfurtPostgres, frankfurtRabbitMq) = RegionCoordinatorTests.AddInfrastructure(builder, builder.AddRegion("frankfurt", jurisdiction: "DE"));

        var refused = Assert.Throws<HostingException>(() => builder.AddReplication(beijingPostgres, beijingRabbitMq, frankfurtPostgres, frankfurtRabbitMq));

        Assert.Contains("INF-2.1", refused.Message, StringComparison.Ordinal);
        Assert.Null(builder.Replication);
        Directory.Delete(stateDir, recursive: true);
    }
}
