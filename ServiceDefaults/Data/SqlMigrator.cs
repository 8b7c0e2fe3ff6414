using System.Reflection;
using Npgsql;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// Applies the embedded <c>*.sql</c> scripts under a <c>Migrations</c> folder, in name order, each once, each in its
/// own transaction, under an advisory lock. Hand-written SQL because EF Core's design-time tooling does not restore
/// here; the model and the scripts are kept in step by the tests that run every service against a real database.
/// </summary>
public sealed class SqlMigrator(string connectionString, ILogger logger)
{
    private const long AdvisoryLockKey = 0x5052_4956_5355_4954; // "PRIVSUIT"

    public async Task MigrateAsync(IEnumerable<Assembly> assemblies, CancellationToken cancellationToken)
    {
        // A standby region's database is a read-only replica: its schema arrives by replication, once the primary
        // region's replica of this service has migrated it. Until then this service has nothing to serve.
        if (await IsReplicaAsync(cancellationToken))
        {
            await WaitForPrimaryAsync(Scripts(assemblies).Select(s => s.Id).ToList(), cancellationToken);
            return;
        }

        await CreateDatabaseIfMissingAsync(cancellationToken);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        await ExecuteAsync(connection, null,
            "create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())",
            cancellationToken);

        foreach (var (id, sql) in Scripts(assemblies))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, tx, $"select pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken);
            await using var check = new NpgsqlCommand("select count(*) from schema_migrations where id = @id", connection, tx);
            check.Parameters.AddWithValue("id", id);
            if ((long)(await check.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                continue;
            }

            await ExecuteAsync(connection, tx, sql, cancellationToken);
            await using var record = new NpgsqlCommand("insert into schema_migrations (id) values (@id)", connection, tx);
            record.Parameters.AddWithValue("id", id);
            await record.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            Log.Applied(logger, id);
        }
    }

    private async Task<bool> IsReplicaAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ServerConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var recovery = new NpgsqlCommand("select pg_is_in_recovery()", connection);
        return (bool)(await recovery.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task WaitForPrimaryAsync(IReadOnlyList<string> expected, CancellationToken cancellationToken)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database ?? "";
        var waiting = false;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var applied = new NpgsqlCommand("select count(*) from schema_migrations where id = any(@ids)", connection);
                applied.Parameters.AddWithValue("ids", expected.ToArray());
                if ((long)(await applied.ExecuteScalarAsync(cancellationToken))! == expected.Count)
                {
                    Log.SkippedOnReplica(logger, database);
                    return;
                }
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable)
            {
                // Not created or not migrated on the primary yet.
            }

            if (!waiting)
            {
                waiting = true;
                Log.WaitingForPrimary(logger, database);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private string ServerConnectionString() =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;

    /// <summary>The scripts, ordered by file name. Resource names look like <c>Assembly.Folder.Migrations.0001_initial.sql</c>.</summary>
    public static IEnumerable<(string Id, string Sql)> Scripts(IEnumerable<Assembly> assemblies)
    {
        var scripts = new List<(string, string)>();
        foreach (var assembly in assemblies.Distinct())
        {
            foreach (var name in assembly.GetManifestResourceNames())
            {
                var marker = name.LastIndexOf(".Migrations.", StringComparison.Ordinal);
                if (marker < 0 || !name.EndsWith(".sql", StringComparison.Ordinal))
                {
                    continue;
                }

                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream);
                scripts.Add((name[(marker + ".Migrations.".Length)..^".sql".Length], reader.ReadToEnd()));
            }
        }

        return scripts.OrderBy(s => s.Item1, StringComparer.Ordinal);
    }

    private async Task CreateDatabaseIfMissingAsync(CancellationToken cancellationToken)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database
            ?? throw new InvalidOperationException("The connection string names no database.");
        await using var connection = new NpgsqlConnection(ServerConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("select count(*) from pg_database where datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! > 0)
        {
            return;
        }

        try
        {
            await ExecuteAsync(connection, null, $"create database \"{database.Replace("\"", "\"\"")}\"", cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another instance created it first.
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
