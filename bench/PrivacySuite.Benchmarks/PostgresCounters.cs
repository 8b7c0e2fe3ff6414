using Npgsql;

namespace PrivacySuite.Benchmarks;

/// <summary>
/// PostgreSQL's own counters for the whole cluster: committed transactions (read-only ones included) and WAL flushes.
/// Read before and after a round, they say how many of each one unit of work cost. The statistics are flushed by
/// backends about once a second, so a round of several seconds reads them within a few percent.
/// </summary>
public sealed record PostgresCounters(long Transactions, long WalFlushes)
{
    public static async Task<PostgresCounters> ReadAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Lets backends that went idle report first.
        await Task.Delay(1100, cancellationToken);
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "select (select sum(xact_commit) from pg_stat_database)::bigint, wal_sync from pg_stat_wal", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PostgresCounters(reader.GetInt64(0), reader.GetInt64(1));
    }
}
