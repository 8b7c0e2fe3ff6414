using Npgsql;

namespace PrivacySuite.Operations.Infrastructure;

public sealed record ReplicationView(string Standby, string State, string SyncState, long? LagBytes, double? ReplayLagSeconds);

public sealed record ClusterView(
    string Region, string Cluster, string Role, string? Error, IReadOnlyList<ReplicationView> Replication,
    string? ReceiverStatus, double? ReplayDelaySeconds);

public sealed record OutboxBacklog(string Service, string Database, long? Backlog, DateTimeOffset? OldestAt, string? Error);

/// <summary>
/// Reads the regions' PostgreSQL clusters (ConnectionStrings:postgres-{region}) in read-only sessions: the role of
/// each (pg_is_in_recovery), the primary's replication (pg_stat_replication), and each service database's outbox.
/// </summary>
public sealed class ClusterReader(IConfiguration configuration, IOptions<OperationsOptions> options, ILogger<ClusterReader> logger)
{
    public static readonly (string Service, string Database)[] Databases =
    [
        ("consent", "consentdb"), ("vault", "vaultdb"), ("retention", "retentiondb"), ("incidents", "incidentsdb"), ("notifications", "notificationsdb"),
    ];

    public IReadOnlyList<string> Regions => options.Value.Regions;

    /// <summary>Each region's cluster: its role and, on the primary, how its standbys stream.</summary>
    public async Task<ClusterView> ClusterAsync(string region, CancellationToken ct)
    {
        var cluster = $"postgres-{region}";
        try
        {
            await using var connection = await OpenAsync(region, "postgres", ct);
            var standby = (bool)(await Scalar(connection, "select pg_is_in_recovery()", ct))!;
            if (standby)
            {
                await using var receiver = new NpgsqlCommand(
                    "select (select status from pg_stat_wal_receiver), extract(epoch from now() - pg_last_xact_replay_timestamp())::float8", connection);
                await using var r = await receiver.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                return new ClusterView(region, cluster, "standby", null, [], r.IsDBNull(0) ? "not streaming" : r.GetString(0), r.IsDBNull(1) ? null : r.GetDouble(1));
            }

            await using var command = new NpgsqlCommand(
                """
                select application_name, coalesce(state, ''), coalesce(sync_state, ''),
                       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
                       extract(epoch from replay_lag)::float8
                from pg_stat_replication order by application_name
                """, connection);
            var rows = new List<ReplicationView>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    rows.Add(new ReplicationView(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetDouble(4)));
                }
            }

            return new ClusterView(region, cluster, "primary", null, rows, null, null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            Log.SourceFailed(logger, cluster, e.GetType().Name);
            return new ClusterView(region, cluster, "unreachable", $"{cluster} did not answer ({Reason(e)})", [], null, null);
        }
    }

    /// <summary>
    /// The regions in the order to ask their services: the one whose cluster takes writes first. When neither can be
    /// told (both clusters down), the configured order.
    /// </summary>
    public async Task<IReadOnlyList<string>> PrimaryFirstAsync(CancellationToken ct)
    {
        var clusters = await Task.WhenAll(Regions.Select(r => ClusterAsync(r, ct)));
        return [.. clusters.OrderBy(c => c.Role == "primary" ? 0 : 1).Select(c => c.Region)];
    }

    /// <summary>Outbox rows not yet published, per service database of the region's cluster (a standby shows its replica's view).</summary>
    public async Task<IReadOnlyList<OutboxBacklog>> OutboxesAsync(string region, CancellationToken ct) =>
        await Task.WhenAll(Databases.Select(async d =>
        {
            try
            {
                await using var connection = await OpenAsync(region, d.Database, ct);
                await using var command = new NpgsqlCommand("select count(*), min(created_at) from outbox_messages where sent_at is null", connection);
                await using var reader = await command.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return new OutboxBacklog($"{d.Service}-{region}", d.Database, reader.GetInt64(0),
                    reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), null);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
            {
                return new OutboxBacklog($"{d.Service}-{region}", d.Database, null, null, $"{d.Database} did not answer ({Reason(e)})");
            }
        }));

    private async Task<NpgsqlConnection> OpenAsync(string region, string database, CancellationToken ct)
    {
        var name = $"postgres-{region}";
        var connectionString = configuration.GetConnectionString(name)
                               ?? throw new InvalidOperationException($"ConnectionStrings:{name} is not configured");
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Database = database,
            Timeout = 3,
            CommandTimeout = 5,
            ApplicationName = "privacysuite-operations",
            // The console only looks: every session it opens is read-only.
            Options = "-c default_transaction_read_only=on",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(ct);
    }

    private static string Reason(Exception e) => e is PostgresException p ? p.SqlState : e is InvalidOperationException ? e.Message : e.GetType().Name;
}
