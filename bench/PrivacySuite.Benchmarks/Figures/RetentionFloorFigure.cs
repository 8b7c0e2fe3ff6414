using Npgsql;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// What any sweep of the retention figure's 1,000,000 expired records must pay in PostgreSQL, measured part by part
/// against the same bare batched DELETE, each part on its own copy of the same seeded database and in the same batches.
/// The parts: the DELETE inside a data-modifying CTE (how one statement can use what it removed); the DELETE returning
/// its rows to the client instead; the requests to the vault alone (read the rows, group them into requests of 200
/// subjects, one outbox row each with the tokens and their owners), which is what a sweep pays to tell the vault even
/// if it removed rows without deleting them one by one; and the DELETE feeding those requests in one statement, the
/// least a sweep that deletes rows can do: no decision, no hold, no proof, no cursor. Their ratios to the bare DELETE
/// are ceilings for the retention figure's ratio.
/// </summary>
public sealed class RetentionFloorFigure : IFigure
{
    private const string Range = "subject_id > @after and subject_id <= @last";

    /// <summary>The subjects of the batch in bytewise order and every 200th of them: where its requests begin, as the sweep finds them.</summary>
    private const string Parts =
        $$"""
        b as (select subject_id collate "C" as s, row_number() over (order by subject_id collate "C") - 1 as n from retention_subjects where {{Range}}),
        bounds as (select coalesce(array_agg(s order by s) filter (where n > 0 and n % 200 = 0), '{}') as b from b)
        """;

    /// <summary>
    /// The batch's requests to the vault from the rows in <c>removed</c>: one outbox row per category and 200 subjects, with the
    /// tokens and their owners as the contract has them (JSON arrays), or packed into one string each (<paramref name="packed"/>),
    /// the cheapest form PostgreSQL builds.
    /// </summary>
    private static string Requests(bool packed) =>
        $"""
        requests as (
            select category, width_bucket(subject_id collate "C", (select b from bounds)) as part,
                   {(packed ? "to_jsonb(string_agg(token, ' ')) as tokens, to_jsonb(string_agg(subject_id, ' '))" : "to_jsonb(array_agg(token)) as tokens, to_jsonb(array_agg(subject_id))")} as token_subjects
            from removed group by 1, 2
        )
        insert into outbox_messages (message_id, message_type, payload, created_at, next_attempt_at)
        select gen_random_uuid(), 'RemovalsRequested',
               jsonb_build_object('requestId', gen_random_uuid(), 'action', 'erase', 'category', category, 'reason', 'schedule',
                                  'subjectIds', '[]'::jsonb, 'tokens', tokens, 'tokenSubjects', token_subjects, 'requestedAt', now()),
               now(), now()
        from requests
        """;

    private static readonly (string Name, string Sql, bool ReadsRows)[] Measured =
    [
        ("bare_delete", $"delete from inventory_items where {Range}", false),
        ("delete_in_cte", $"with d as (delete from inventory_items where {Range} returning 1) select count(*) from d", false),
        ("delete_returning_to_client", $"delete from inventory_items where {Range} returning token, subject_id", true),
        ("requests_alone", $"with {Parts}, removed as (select token, subject_id, category from inventory_items where {Range}),\n{Requests(packed: false)}", false),
        ("requests_packed_alone", $"with {Parts}, removed as (select token, subject_id, category from inventory_items where {Range}),\n{Requests(packed: true)}", false),
        ("delete_and_requests", $"with {Parts}, removed as (delete from inventory_items where {Range} returning token, subject_id, category),\n{Requests(packed: false)}", false),
    ];

    public string Name => "retention-floor";

    public string Description =>
        $"The PostgreSQL cost of the parts of a sweep of {RetentionFigure.Records:N0} expired records (delete in a CTE, delete returning rows, requests to the vault alone, delete and requests) against a bare batched DELETE, each on a fresh copy of one seeded database, in rounds.";

    public async Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var postgres = (await context.InfrastructureAsync()).Postgres;
        var template = $"bench_retention_floor_template_{Environment.ProcessId}";
        await postgres.CreateDatabaseAsync(template, cancellationToken);
        await RetentionFigure.MigrateAsync(postgres.ConnectionString(template), cancellationToken);
        await RetentionFigure.SeedAsync(postgres.ConnectionString(template), cancellationToken);
        context.Progress($"seeded {RetentionFigure.Records:N0} records");

        // Each round measures every part once, forwards in even rounds and backwards in odd ones, so a drift over the run
        // favours no part; a part's figure is its median over the rounds, a ceiling the median of its per-round ratios.
        var admin = postgres.ConnectionString();
        var copy = $"bench_retention_floor_round_{Environment.ProcessId}";
        var rounds = new List<Dictionary<string, (double Seconds, RetentionFigure.Cost Cost)>>();
        for (var round = 0; round < context.Rounds; round++)
        {
            var measured = new Dictionary<string, (double Seconds, RetentionFigure.Cost Cost)>();
            foreach (var (name, sql, readsRows) in round % 2 == 0 ? Measured : Measured.Reverse())
            {
                var database = await RetentionFigure.CopyAsync(postgres, template, copy, cancellationToken);
                var (elapsed, cost) = await RetentionFigure.CostAsync(admin, () => Measure.TimeAsync(() => RunBatchesAsync(database, sql, readsRows, cancellationToken)), cancellationToken);
                measured[name] = (elapsed.TotalSeconds, cost);
            }

            rounds.Add(measured);
            context.Progress($"round {round + 1}/{context.Rounds}: " +
                             string.Join(", ", Measured.Select(m => $"{m.Name} {measured[m.Name].Seconds:0.00} s")));
        }

        var details = new Dictionary<string, string>();
        foreach (var (name, _, _) in Measured)
        {
            details[name] = $"{PairedFigure.Spread(rounds.Select(r => r[name].Seconds), "0.00")} s, " +
                            $"{PairedFigure.Spread(rounds.Select(r => r[name].Cost.Cpu.PostgresMs * 1000 / RetentionFigure.Records), "0.00")} µs PostgreSQL CPU, " +
                            $"{PairedFigure.Spread(rounds.Select(r => (double)r[name].Cost.WalBytes / RetentionFigure.Records), "0")} B WAL per record";
        }

        // Ceilings as the retention figure counts its ratio (elapsed time), and by PostgreSQL CPU (steadier on a busy machine).
        string Ceiling(string part, Func<(double Seconds, RetentionFigure.Cost Cost), double> cost) =>
            PairedFigure.Spread(rounds.Select(r => cost(r["bare_delete"]) / cost(r[part])), "0.00");
        foreach (var (key, part) in new[] { ("ceiling_deleting_rows", "delete_and_requests"), ("ceiling_without_deleting_rows", "requests_alone"), ("ceiling_without_deleting_rows_packed", "requests_packed_alone") })
        {
            details[key] = $"{Ceiling(part, m => m.Seconds)} (cpu {Ceiling(part, m => m.Cost.Cpu.PostgresMs)})";
        }

        double Median(string part) => PairedFigure.Median(rounds.Select(r => r["bare_delete"].Seconds / r[part].Seconds).ToList());
        return
        [
            new FigureResult(
                $"retention-floor ceiling_deleting_rows={Measure.Ratio(Median("delete_and_requests"))} " +
                $"ceiling_without_deleting_rows={Measure.Ratio(Median("requests_alone"))} rounds={rounds.Count}",
                details),
        ];
    }

    /// <summary>Runs <paramref name="sql"/> over the whole inventory in the sweep's batches of whole subjects, one transaction each.</summary>
    private static async Task RunBatchesAsync(string connectionString, string sql, bool readsRows, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await RetentionFigure.ForEachBatchAsync(connection, async (tx, after, last) =>
        {
            // The sweep's own settings for its batch statement (SweepSql.BatchSettings).
            await using (var settings = new NpgsqlCommand("set local jit = off; set local work_mem = '64MB'; set local default_toast_compression = 'lz4'", connection, tx))
            {
                await settings.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var command = new NpgsqlCommand(sql, connection, tx) { CommandTimeout = 300 };
            command.Parameters.AddWithValue("after", after);
            command.Parameters.AddWithValue("last", last);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (readsRows && await reader.ReadAsync(cancellationToken))
            {
                _ = reader.GetString(0);
                _ = reader.GetString(1);
            }

            return reader.RecordsAffected;
        }, cancellationToken);
    }
}
