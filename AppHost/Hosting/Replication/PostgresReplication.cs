using Npgsql;

namespace PrivacySuite.AppHost.Hosting.Replication;

/// <summary>One standby as the primary sees it (pg_stat_replication).</summary>
public sealed record StandbyStatus(string Name, string State, string SyncState, long LagBytes, TimeSpan? ReplayLag);

/// <summary>
/// PostgreSQL's own streaming replication between two clusters the AppHost owns (INFRA.md, measured here):
/// a standby cloned with pg_basebackup and a physical slot, synchronous while it is up, promotion on failover.
/// </summary>
public static class PostgresReplication
{
    /// <summary>Settings for every cluster that takes part: either may be primary after a failover.</summary>
    public static IReadOnlyList<string> Settings { get; } =
    [
        "wal_level = replica",
        "max_wal_senders = 10",
        "max_replication_slots = 10",
        // pg_rewind needs hint bits in the WAL to bring an old primary back as a standby.
        "wal_log_hints = on",
        "wal_keep_size = '256MB'",
        // A slot whose standby is gone for good must not fill the disk.
        "max_slot_wal_keep_size = '2GB'",
        // A commit returns once the standby has applied it, not only flushed it: an event relayed after the commit
        // never reaches the standby region before the row it announces (its caches re-read the replica).
        "synchronous_commit = remote_apply",
        "hot_standby = on",
        "hot_standby_feedback = on",
        // The default 5 s would delay a promoted standby's first write.
        "wal_retrieve_retry_interval = '500ms'",
    ];

    /// <summary>
    /// Clones <paramref name="standby"/>'s data folder from <paramref name="primary"/> (pg_basebackup -R -X stream -C -S),
    /// so it starts as a streaming standby. Both clusters share the superuser password; the slot keeps the WAL it needs.
    /// </summary>
    public static async Task CreateStandbyAsync(PostgresServer primary, PostgresServer standby, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(standby.DataDirectory, "PG_VERSION")))
        {
            throw new HostingException($"{standby.DataDirectory} already holds a cluster; remove it (or run with --fresh) before cloning a standby.");
        }

        var slot = SlotName(standby);
        await DropSlotIfPresentAsync(primary, slot, cancellationToken);
        Directory.CreateDirectory(standby.Directory);
        await standby.OwnAsync(cancellationToken);
        var basebackup = Binaries.Postgres("pg_basebackup");
        var connection = $"host=127.0.0.1 port={primary.Port} user={PostgresServer.SuperUser} password={primary.Options.Password} application_name={standby.Options.Name}";
        var (code, output) = await ChildProcess.RunAsync(
            PostgresServer.AsPostgresUser(basebackup),
            PostgresServer.AsPostgresUserArgs(basebackup, ["-d", connection, "-D", standby.DataDirectory, "-R", "-X", "stream", "-C", "-S", slot, "--checkpoint=fast"]),
            timeout: TimeSpan.FromMinutes(5), cancellationToken: cancellationToken);
        if (code != 0)
        {
            throw new HostingException($"pg_basebackup from {primary.Options.Name} to {standby.Options.Name} failed ({code}): {output.Trim()}");
        }
    }

    /// <summary>
    /// Points a stopped standby at <paramref name="primary"/>'s current address (its port may differ from the one the
    /// clone was taken from: --port, --random-ports). pg_basebackup -R wrote the line into postgresql.auto.conf, which
    /// PostgreSQL reads last, so it is replaced there.
    /// </summary>
    public static async Task PointStandbyAtAsync(PostgresServer standby, PostgresServer primary, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(standby.DataDirectory, "postgresql.auto.conf");
        var conninfo = $"host=127.0.0.1 port={primary.Port} user={PostgresServer.SuperUser} password={primary.Options.Password} application_name={standby.Options.Name}";
        var lines = (await File.ReadAllLinesAsync(path, cancellationToken))
            .Where(l => !l.StartsWith("primary_conninfo", StringComparison.Ordinal))
            .Append($"primary_conninfo = '{conninfo.Replace("'", "''")}'");
        await File.WriteAllLinesAsync(path, lines, cancellationToken);
    }

    /// <summary>
    /// Makes commits on <paramref name="primary"/> wait for <paramref name="standbyName"/> to flush them (no acknowledged
    /// write is lost if the primary dies), or, with null, stop waiting: the fall-back while the standby is gone.
    /// </summary>
    public static async Task SetSynchronousStandbyAsync(PostgresServer primary, string? standbyName, CancellationToken cancellationToken = default)
    {
        var value = standbyName is null ? "" : $"FIRST 1 (\"{standbyName}\")";
        await using var connection = await OpenAsync(primary, cancellationToken);
        await ExecuteAsync(connection, $"alter system set synchronous_standby_names = '{value.Replace("'", "''")}'", cancellationToken);
        await ExecuteAsync(connection, "select pg_reload_conf()", cancellationToken);
    }

    /// <summary>The primary's synchronous standby setting ("" when asynchronous).</summary>
    public static async Task<string> SynchronousStandbyNamesAsync(PostgresServer primary, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(primary, cancellationToken);
        await using var command = new NpgsqlCommand("show synchronous_standby_names", connection);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The standbys streaming from <paramref name="primary"/>, with their lag in bytes of WAL not yet replayed.</summary>
    public static async Task<IReadOnlyList<StandbyStatus>> StandbysAsync(PostgresServer primary, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(primary, cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            select application_name, state, sync_state,
                   coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint,
                   replay_lag
            from pg_stat_replication
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var standbys = new List<StandbyStatus>();
        while (await reader.ReadAsync(cancellationToken))
        {
            standbys.Add(new StandbyStatus(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<TimeSpan>(4)));
        }

        return standbys;
    }

    public static async Task<bool> IsInRecoveryAsync(PostgresServer server, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(server, cancellationToken);
        await using var command = new NpgsqlCommand("select pg_is_in_recovery()", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Promotes a standby to primary. The old primary must be fenced first (stopped or killed) so that two primaries
    /// never accept writes. A promoted cluster inherits the old synchronous setting and would block every commit: reset it.
    /// </summary>
    public static async Task PromoteAsync(PostgresServer standby, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(standby, cancellationToken);
        await using (var promote = new NpgsqlCommand("select pg_promote(true, 30)", connection))
        {
            if (!(bool)(await promote.ExecuteScalarAsync(cancellationToken))!)
            {
                throw new HostingException($"{standby.Options.Name} did not finish promotion within 30 s.");
            }
        }

        await ExecuteAsync(connection, "alter system set synchronous_standby_names = ''", cancellationToken);
        await ExecuteAsync(connection, "select pg_reload_conf()", cancellationToken);
    }

    private static string SlotName(PostgresServer standby) => new(standby.Options.Name.Replace('-', '_').Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());

    private static async Task DropSlotIfPresentAsync(PostgresServer primary, string slot, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(primary, cancellationToken);
        await using var command = new NpgsqlCommand(
            "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = @slot and not active", connection);
        command.Parameters.AddWithValue("slot", slot);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<NpgsqlConnection> OpenAsync(PostgresServer server, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(server.ConnectionString() + ";Pooling=false;Timeout=5");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
