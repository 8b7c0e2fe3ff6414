using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrivacySuite.Retention.Infrastructure;
using PrivacySuite.Retention.Model;
using PrivacySuite.Retention.Sweeping;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// The retention sweep over 1,000,000 expired inventory records against a bare batched DELETE of the same rows, each on
/// its own copy of one seeded database, in the same run. The sweep does what production does per batch: lock holds,
/// decide, delete the inventory rows that go, record sweep items, queue the vault requests in the outbox (many removals
/// per message), move the cursor, commit.
/// </summary>
public sealed class RetentionFigure : IFigure
{
    // PRIVACYSUITE_BENCH_RETENTION_SUBJECTS shrinks the figure while investigating; the recorded figure uses the default.
    internal static readonly int Subjects = int.TryParse(Environment.GetEnvironmentVariable("PRIVACYSUITE_BENCH_RETENTION_SUBJECTS"), out var s) ? s : 100_000;
    internal const int RecordsPerSubject = 10; // 5 location records (erase after 90 days) and 5 usage records (anonymise after 180)
    internal static readonly int Records = Subjects * RecordsPerSubject;
    private const string WarmUpSubject = "zz-warm-up"; // after every seeded subject in any collation

    public string Name => "retention";

    public string Description =>
        $"{Records:N0} expired records ({Subjects:N0} subjects) swept (decide, delete, sweep items, outbox) vs a bare batched DELETE of the same rows, same run.";

    public async Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        var postgres = infrastructure.Postgres;
        context.Progress("infrastructure up (PostgreSQL durable)");

        var template = $"bench_retention_template_{Environment.ProcessId}";
        await postgres.CreateDatabaseAsync(template, cancellationToken);
        await MigrateAsync(postgres.ConnectionString(template), cancellationToken);
        var seeding = await Measure.TimeAsync(() => SeedAsync(postgres.ConnectionString(template), cancellationToken));
        context.Progress($"seeded {Records:N0} records in {seeding.TotalSeconds:0.0} s");
        NpgsqlConnection.ClearAllPools(); // a template database must have no open connections

        var admin = postgres.ConnectionString();
        var delete1Database = await CopyAsync(postgres, template, "delete1", cancellationToken);
        var (delete1, delete1Cost) = await RunDeleteAsync(context, admin, delete1Database, cancellationToken);
        var sweepDatabase = await CopyAsync(postgres, template, "sweep", cancellationToken);
        var (sweep, sweepCost, warmUp, peakWorkingSet, peakManaged, requests, messages) = await RunSweepAsync(context, admin, sweepDatabase, cancellationToken);
        var delete2Database = await CopyAsync(postgres, template, "delete2", cancellationToken);
        var (delete2, delete2Cost) = await RunDeleteAsync(context, admin, delete2Database, cancellationToken);
        var delete = (delete1 + delete2) / 2;

        return
        [
            new FigureResult($"retention-sweep ratio={Measure.Ratio(delete.TotalSeconds / sweep.TotalSeconds)} peak_memory_mb={Measure.Number(peakWorkingSet / 1048576.0)}",
                new Dictionary<string, string>
                {
                    ["sweep_s"] = Measure.Number(sweep.TotalSeconds, "0.0"),
                    ["sweep_records_s"] = Measure.Number(Records / sweep.TotalSeconds),
                    ["delete_s"] = $"{Measure.Number(delete1.TotalSeconds, "0.0")} and {Measure.Number(delete2.TotalSeconds, "0.0")}",
                    ["sweep_host_warm_up_s"] = Measure.Number(warmUp.TotalSeconds, "0.0"),
                    ["sweep_per_record"] = sweepCost.PerRecord(),
                    ["delete_per_record"] = $"{delete1Cost.PerRecord()} and {delete2Cost.PerRecord()}",
                    ["vault_requests"] = Measure.Number(requests),
                    ["vault_messages"] = Measure.Number(messages),
                    ["peak_working_set_mb"] = Measure.Number(peakWorkingSet / 1048576.0),
                    ["peak_managed_heap_mb"] = Measure.Number(peakManaged / 1048576.0),
                    ["subjects_per_batch"] = Measure.Number(new RetentionOptions().SubjectsPerBatch),
                }),
        ];
    }

    /// <summary>What a run cost: CPU of this process (the sweep's service code) and of PostgreSQL, and the WAL it wrote.</summary>
    internal sealed record Cost(ProcessCpu Cpu, long WalBytes)
    {
        public string PerRecord() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Cpu.PostgresMs * 1000 / Records:0.0} µs PostgreSQL CPU, {Cpu.DotnetMs * 1000 / Records:0.0} µs .NET CPU, {(double)WalBytes / Records:0} B WAL");
    }

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

    internal static async Task<string> CopyAsync(PrivacySuite.AppHost.Hosting.PostgresServer postgres, string template, string name, CancellationToken cancellationToken)
    {
        var database = $"bench_retention_{name}_{Environment.ProcessId}";
        await using var connection = new NpgsqlConnection(postgres.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"create database \"{database}\" template \"{template}\"", connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var checkpoint = new NpgsqlCommand("checkpoint", connection) { CommandTimeout = 600 };
        await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        return postgres.ConnectionString(database);
    }

    /// <summary>The baseline: delete the same rows, the same number of subjects per transaction, nothing else.</summary>
    private static async Task<(TimeSpan Elapsed, Cost Cost)> RunDeleteAsync(BenchContext context, string admin, string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        long deleted = 0;
        var (elapsed, cost) = await CostAsync(admin, () => Measure.TimeAsync(async () => deleted = await ForEachBatchAsync(connection, async (tx, after, last) =>
        {
            await using var delete = new NpgsqlCommand("delete from inventory_items where subject_id > @after and subject_id <= @last", connection, tx);
            delete.Parameters.AddWithValue("after", after);
            delete.Parameters.AddWithValue("last", last);
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken)), cancellationToken);
        context.Progress($"bare batched DELETE: {deleted:N0} rows in {elapsed.TotalSeconds:0.0} s");
        return deleted == Records ? (elapsed, cost) : throw new InvalidOperationException($"The baseline deleted {deleted} rows, not {Records}.");
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

    private static async Task<(TimeSpan Elapsed, Cost Cost, TimeSpan WarmUp, long PeakWorkingSet, long PeakManaged, long Requests, long Messages)> RunSweepAsync(
        BenchContext context, string admin, string connectionString, CancellationToken cancellationToken)
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
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);

        // A sweep runs in a service that has been up for a while and has swept before: EF Core's model, the first queries'
        // compilation and the connection pool are warmed first by a whole sweep over one subject with nothing stored, added
        // after all the others (its cursor starts before it), so the figure times the sweep and not the process's first
        // seconds. The warm-up's time is reported beside it.
        var warmUp = await Measure.TimeAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var runner = scope.ServiceProvider.GetRequiredService<SweepRunner>();
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using (var add = new NpgsqlCommand($"insert into retention_subjects (subject_id, first_seen_at) values ('{WarmUpSubject}', now())", connection))
            {
                await add.ExecuteNonQueryAsync(cancellationToken);
            }

            var (sweep, _) = await runner.StartAsync("on-demand", "bench warm-up", cancellationToken);
            await using (var skip = new NpgsqlCommand(
                $"update sweeps set cursor_subject = (select max(subject_id) from retention_subjects where subject_id < '{WarmUpSubject}') where id = @id", connection))
            {
                skip.Parameters.AddWithValue("id", sweep.Id);
                await skip.ExecuteNonQueryAsync(cancellationToken);
            }

            await runner.RunToCompletionAsync(sweep.Id, cancellationToken);
        });

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

        Guid sweepId = default;
        var (elapsed, cost) = await CostAsync(admin, () => Measure.TimeAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var runner = scope.ServiceProvider.GetRequiredService<SweepRunner>();
            var (sweep, _) = await runner.StartAsync("on-demand", "bench", cancellationToken);
            sweepId = sweep.Id;
            await runner.RunToCompletionAsync(sweep.Id, cancellationToken);
        }), cancellationToken);
        await sampling.CancelAsync();
        await sampler;

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var check = new NpgsqlCommand(
            """
            select (select tokens_requested from sweeps where id = @id),
                   (select count(*) from sweep_items where sweep_id = @id),
                   (select count(*) from outbox_messages),
                   (select count(*) from inventory_items)
            """, connection);
        check.Parameters.AddWithValue("id", sweepId);
        await using var reader = await check.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (tokens, requests, messages, left) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        await host.StopAsync(cancellationToken);
        context.Progress($"sweep: {tokens:N0} records in {requests:N0} vault requests ({messages:N0} messages), {elapsed.TotalSeconds:0.0} s, peak working set {peakWorkingSet / 1048576.0:0} MB");
        return tokens == Records && left == 0
            ? (elapsed, cost, warmUp, peakWorkingSet, peakManaged, requests, messages)
            : throw new InvalidOperationException($"The sweep requested {tokens} records and left {left} active, not {Records} and 0.");
    }
}
