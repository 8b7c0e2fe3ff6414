using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.Retention;
using PrivacySuite.Retention.Infrastructure;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// The retention sweep over 1,000,000 expired inventory records against a bare batched DELETE of the same rows, in
/// alternating rounds, each side of each round on a fresh copy of one seeded database. The sweep does what production
/// does per batch: lock holds, decide, delete the inventory rows that go, record sweep items, queue the vault requests
/// in the outbox (many removals per message), move the cursor, commit.
/// </summary>
public sealed class RetentionFigure : PairedFigure
{
    // PRIVACYSUITE_BENCH_RETENTION_SUBJECTS shrinks the figure while investigating; the recorded figure uses the default.
    internal static readonly int Subjects = int.TryParse(Environment.GetEnvironmentVariable("PRIVACYSUITE_BENCH_RETENTION_SUBJECTS"), out var s) ? s : 100_000;
    internal const int RecordsPerSubject = 10; // 5 location records (erase after 90 days) and 5 usage records (anonymise after 180)
    internal static readonly int Records = Subjects * RecordsPerSubject;

    public override string Name => "retention";

    public override string Description =>
        $"{Records:N0} expired records ({Subjects:N0} subjects) swept (decide, delete, sweep items, outbox) vs a bare batched DELETE of the same rows, each on a fresh copy of one seeded database, in alternating rounds.";

    protected override string Goal => ">= 0.5, peak memory reported";

    protected override async Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var postgres = (await context.InfrastructureAsync()).Postgres;
        context.Progress("infrastructure up (PostgreSQL durable)");
        var template = $"bench_retention_template_{Environment.ProcessId}";
        await postgres.CreateDatabaseAsync(template, cancellationToken);
        await MigrateAsync(postgres.ConnectionString(template), cancellationToken);
        var seeding = await Measure.TimeAsync(() => SeedAsync(postgres.ConnectionString(template), cancellationToken));
        context.Progress($"seeded {Records:N0} records in {seeding.TotalSeconds:0.0} s");

        // Both sides work on the same database name, copied afresh from the template before each measurement (not timed).
        var round = $"bench_retention_round_{Environment.ProcessId}";
        var admin = postgres.ConnectionString();
        var sweeper = await Sweeper.StartAsync(postgres.ConnectionString(round), cancellationToken);
        var sweep = (CancellationToken ct) => MeasureAsync(postgres, template, round, () => sweeper.SweepAsync(ct), () => sweeper.CheckAsync(context, ct), ct);
        var delete = (CancellationToken ct) => MeasureAsync(postgres, template, round, () => DeleteAsync(postgres.ConnectionString(round), ct), () => Task.FromResult(new Dictionary<string, double>()), ct);

        // A warm-up round each: the rounds compare a service that has swept before (EF Core's model, compiled queries, pools).
        await delete(cancellationToken);
        await sweep(cancellationToken);
        context.Progress("warmed up (a round each)");
        return new Pair("sweep", sweep, "delete", delete, sweeper)
        {
            Notes = new Dictionary<string, string>
            {
                ["seeding_s"] = Measure.Number(seeding.TotalSeconds, "0.0"),
                ["subjects_per_batch"] = Measure.Number(new RetentionOptions().SubjectsPerBatch),
            },
        };
    }

    /// <summary>
    /// One side of one round on a fresh copy of the seeded database: records per second, and the CPU (this process and
    /// PostgreSQL) and WAL per record. <paramref name="check"/> runs after, untimed: it checks the result and returns
    /// what else the side reports.
    /// </summary>
    private static async Task<Side> MeasureAsync(PostgresServer postgres, string template, string database,
        Func<Task> run, Func<Task<Dictionary<string, double>>> check, CancellationToken cancellationToken)
    {
        await CopyAsync(postgres, template, database, cancellationToken);
        var (elapsed, cost) = await CostAsync(postgres.ConnectionString(), () => Measure.TimeAsync(run), cancellationToken);
        var also = await check();
        also["postgres_cpu_us_per_op"] = cost.Cpu.PostgresMs * 1000 / Records;
        also["dotnet_cpu_us_per_op"] = cost.Cpu.DotnetMs * 1000 / Records;
        also["wal_bytes_per_op"] = (double)cost.WalBytes / Records;
        return new Side(Records / elapsed.TotalSeconds, (cost.Cpu.PostgresMs + cost.Cpu.DotnetMs) * 1000 / Records, Also: also);
    }

    /// <summary>What a run cost: CPU of this process (the sweep's service code) and of PostgreSQL, and the WAL it wrote.</summary>
    internal sealed record Cost(ProcessCpu Cpu, long WalBytes);

    internal static async Task<(T Result, Cost Cost)> CostAsync<T>(string admin, Func<Task<T>> run, CancellationToken cancellationToken)
    {
        var walBefore = await WalPositionAsync(admin, cancellationToken);
        var cpuBefore = ProcessCpu.Read();
        var result = await run();
        var cpu = ProcessCpu.Read() - cpuBefore;
        return (result, new Cost(cpu, await WalPositionAsync(admin, cancellationToken) - walBefore));
    }

    internal static async Task<long> WalPositionAsync(string admin, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(admin + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    internal static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        using var loggers = LoggerFactory.Create(_ => { });
        await new SqlMigrator(connectionString, loggers.CreateLogger("migrator"))
            .MigrateAsync([typeof(ServiceDbContext).Assembly, typeof(RetentionDbContext).Assembly], cancellationToken);
    }

    /// <summary>One set-based statement per table: records collected 200 days ago, all past their schedules.</summary>
    internal static async Task SeedAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var sql in new[]
        {
            $"insert into retention_subjects (subject_id, first_seen_at) select 'subject-' || lpad(s::text, 7, '0'), now() - interval '200 days' from generate_series(1, {Subjects}) s",
            $"""
            insert into inventory_items (token, subject_id, category, purpose, stored_at)
            select 'tok_' || md5(s::text || '-' || r::text), 'subject-' || lpad(s::text, 7, '0'),
                   case when r <= 5 then 'Location' else 'Usage' end, '*', now() - interval '200 days'
            from generate_series(1, {Subjects}) s, generate_series(1, {RecordsPerSubject}) r
            """,
            "vacuum analyze retention_subjects",
            "vacuum analyze inventory_items",
            "checkpoint",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// (Re)creates <paramref name="database"/> as a copy of <paramref name="template"/>, dropping the previous copy and
    /// every connection to it, and checkpoints, so a measurement starts with no dirty pages of the copy's making.
    /// </summary>
    internal static async Task<string> CopyAsync(PostgresServer postgres, string template, string database, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools(); // neither a template nor a database to drop may have open connections
        await using var connection = new NpgsqlConnection(postgres.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        foreach (var sql in new[] { $"drop database if exists \"{database}\" with (force)", $"create database \"{database}\" template \"{template}\"", "checkpoint" })
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return postgres.ConnectionString(database);
    }

    /// <summary>The baseline: delete the same rows, the same number of subjects per transaction, nothing else.</summary>
    private static async Task DeleteAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var deleted = await ForEachBatchAsync(connection, async (tx, after, last) =>
        {
            await using var delete = new NpgsqlCommand("delete from inventory_items where subject_id > @after and subject_id <= @last", connection, tx);
            delete.Parameters.AddWithValue("after", after);
            delete.Parameters.AddWithValue("last", last);
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
        if (deleted != Records)
        {
            throw new InvalidOperationException($"The baseline deleted {deleted} rows, not {Records}.");
        }
    }

    /// <summary>
    /// Walks the subjects in the sweep's batches (<see cref="RetentionOptions.SubjectsPerBatch"/> whole subjects, one
    /// transaction each): <paramref name="batch"/> gets the transaction and the batch's bounds (after, last] and returns
    /// the rows it deleted. Returns their sum.
    /// </summary>
    internal static async Task<long> ForEachBatchAsync(NpgsqlConnection connection, Func<NpgsqlTransaction, string, string, Task<long>> batch,
        CancellationToken cancellationToken)
    {
        var size = new RetentionOptions().SubjectsPerBatch;
        long deleted = 0;
        var after = "";
        while (true)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await using var next = new NpgsqlCommand(
                "select max(subject_id) from (select subject_id from retention_subjects where subject_id > @after order by subject_id limit @n) b", connection, tx);
            next.Parameters.AddWithValue("after", after);
            next.Parameters.AddWithValue("n", size);
            if (await next.ExecuteScalarAsync(cancellationToken) is not string last)
            {
                return deleted;
            }

            deleted += await batch(tx, after, last);
            await tx.CommitAsync(cancellationToken);
            after = last;
        }
    }

    /// <summary>The retention service's sweep (its <see cref="SweepRunner"/> on its database context), in a host that stays up for all rounds.</summary>
    private sealed class Sweeper(IHost host, string connectionString) : IAsyncDisposable
    {
        private Guid _sweepId;
        private long _peakWorkingSet, _peakManaged;

        public static async Task<Sweeper> StartAsync(string connectionString, CancellationToken cancellationToken)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            if (Environment.GetEnvironmentVariable("PRIVACYSUITE_BENCH_TRACE") == "1")
            {
                builder.Logging.AddFilter(typeof(SweepRunner).FullName, LogLevel.Debug); // per-batch phase timings
            }

            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:retentiondb"] = connectionString });
            builder.Services.AddSingleton(TimeProvider.System);
            builder.AddServiceDatabase<RetentionDbContext>("retentiondb");
            builder.Services.AddOptions<RetentionOptions>();
            builder.Services.AddScoped<SweepRunner>();
            var host = builder.Build();
            await host.StartAsync(cancellationToken);
            return new Sweeper(host, connectionString);
        }

        /// <summary>One whole sweep, sampling this process's memory while it runs.</summary>
        public async Task SweepAsync(CancellationToken cancellationToken)
        {
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            long peakWorkingSet = 0, peakManaged = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    process.Refresh();
                    peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                    peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
                    await Task.Delay(20, CancellationToken.None);
                }
            }, CancellationToken.None);

            await using (var scope = host.Services.CreateAsyncScope())
            {
                var runner = scope.ServiceProvider.GetRequiredService<SweepRunner>();
                var (sweep, _) = await runner.StartAsync("on-demand", "bench", cancellationToken);
                _sweepId = sweep.Id;
                await runner.RunToCompletionAsync(sweep.Id, cancellationToken);
            }

            await sampling.CancelAsync();
            await sampler;
            (_peakWorkingSet, _peakManaged) = (peakWorkingSet, peakManaged);
        }

        /// <summary>Checks that the last sweep asked the vault for every record and left none, and returns what it sent and its peak memory.</summary>
        public async Task<Dictionary<string, double>> CheckAsync(BenchContext context, CancellationToken cancellationToken)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var check = new NpgsqlCommand(
                """
                select (select tokens_requested from sweeps where id = @id),
                       (select count(*) from sweep_items where sweep_id = @id),
                       (select count(*) from outbox_messages),
                       (select count(*) from inventory_items)
                """, connection);
            check.Parameters.AddWithValue("id", _sweepId);
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (tokens, requests, messages, left) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            if (tokens != Records || left != 0)
            {
                throw new InvalidOperationException($"The sweep requested {tokens} records and left {left} active, not {Records} and 0.");
            }

            context.Progress($"sweep: {tokens:N0} records in {requests:N0} vault requests ({messages:N0} messages), peak working set {_peakWorkingSet / 1048576.0:0} MB");
            return new Dictionary<string, double>
            {
                ["vault_requests"] = requests,
                ["vault_messages"] = messages,
                ["peak_working_set_mb"] = _peakWorkingSet / 1048576.0,
                ["peak_managed_heap_mb"] = _peakManaged / 1048576.0,
            };
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
