using Npgsql;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Replication;

namespace PrivacySuite.AppHost.Tests;

/// <summary>Two real PostgreSQL clusters with streaming replication, driven by the code the AppHost uses for the regions.</summary>
public sealed class ReplicationTests : IAsyncLifetime
{
    private readonly string _stateDir = Path.Combine(
        Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } root ? root : Path.GetTempPath(),
        $"replication-{Guid.NewGuid():N}");
    private PostgresServer _primary = null!;
    private PostgresServer _standby = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_stateDir);
        var password = Guid.NewGuid().ToString("N");
        // Durable settings: with synchronous_commit off (the tests' speed setting) nothing would wait for the standby.
        _primary = new PostgresServer(new PostgresServerOptions("postgres-beijing", _stateDir, Ports.GetFree(), password)
        {
            ExtraSettings = PostgresReplication.Settings,
        }, TestOutput.Sink("replication-primary"));
        _standby = new PostgresServer(new PostgresServerOptions("postgres-guangzhou", _stateDir, Ports.GetFree(), password)
        {
            ExtraSettings = PostgresReplication.Settings,
        }, TestOutput.Sink("replication-standby"));

        await _primary.StartAsync(CancellationToken.None);
        await ExecuteAsync(_primary, "create table writes (id int primary key, written_at timestamptz not null default now())");
        await PostgresReplication.CreateStandbyAsync(_primary, _standby, CancellationToken.None);
        await _standby.StartAsync(CancellationToken.None);
        await PostgresReplication.SetSynchronousStandbyAsync(_primary, _standby.Options.Name);
        await Eventually.HoldsAsync(async () => (await PostgresReplication.StandbysAsync(_primary)) is [{ SyncState: "sync" }],
            TimeSpan.FromSeconds(20), "the standby streams synchronously");
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_primary.KillAsync(), _standby.KillAsync());
        await _primary.DisposeAsync();
        await _standby.DisposeAsync();
        Directory.Delete(_stateDir, recursive: true);
    }

    [Fact]
    [Trait("Clause", "INF-3.2")]
    public async Task Every_acknowledged_write_survives_the_primary_being_killed_and_the_standby_promoted()
    {
        Assert.True(await PostgresReplication.IsInRecoveryAsync(_standby));
        for (var i = 0; i < 200; i++)
        {
            await ExecuteAsync(_primary, $"insert into writes (id) values ({i})");
        }

        await _primary.KillAsync();
        await PostgresReplication.PromoteAsync(_standby);

        Assert.False(await PostgresReplication.IsInRecoveryAsync(_standby));
        Assert.Equal(200L, await ScalarAsync(_standby, "select count(*) from writes"));
        await ExecuteAsync(_standby, "insert into writes (id) values (1000)");
        Assert.Equal("", await PostgresReplication.SynchronousStandbyNamesAsync(_standby));
    }

    [Fact]
    public async Task Standby_serves_reads_of_what_the_primary_committed_and_refuses_writes()
    {
        await ExecuteAsync(_primary, "insert into writes (id) values (1)");

        await Eventually.HoldsAsync(async () => await ScalarAsync(_standby, "select count(*) from writes where id = 1") is 1L,
            TimeSpan.FromSeconds(5), "the row is readable on the standby");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(_standby, "insert into writes (id) values (2)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }

    [Fact]
    public async Task Commits_wait_for_a_missing_synchronous_standby_until_the_primary_falls_back_to_asynchronous()
    {
        await _standby.StopAsync();

        var blocked = ExecuteAsync(_primary, "insert into writes (id) values (7)");
        await Task.Delay(1000);
        Assert.False(blocked.IsCompleted, "a commit waits for the synchronous standby");

        await PostgresReplication.SetSynchronousStandbyAsync(_primary, null);
        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1L, await ScalarAsync(_primary, "select count(*) from writes where id = 7"));
        Assert.Empty(await PostgresReplication.StandbysAsync(_primary));
    }

    private static async Task ExecuteAsync(PostgresServer server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(PostgresServer server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
