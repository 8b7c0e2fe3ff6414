using System.Diagnostics.Metrics;
using Npgsql;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.Retention.Model;

/// <summary>What a dry run would remove, counted, with the first requests as examples.</summary>
public sealed record DryRunReport(
    DateTimeOffset AsOf,
    long SubjectsExamined,
    long SubjectsHeld,
    long ErasureRequests,
    long AnonymisationRequests,
    long Tokens,
    IReadOnlyDictionary<string, long> TokensByReason,
    IReadOnlyList<DryRunItem> Examples);

public sealed record DryRunItem(string SubjectId, DataCategory? Category, string Action, string Reason, int Tokens);

/// <summary>
/// Runs sweeps in batches of whole subjects. Each batch is one transaction and, after locking the holds and the sweep,
/// one statement (<see cref="SweepSql.Sweep"/>): it decides in the database, deletes the inventory rows that go,
/// records a sweep item per request to the vault (one category or the whole of up to a message's worth of subjects),
/// queues each request in the outbox and moves the cursor. A crash loses at most the open batch, which rolls back and is done again on resume: nothing is requested
/// twice and nothing is skipped.
/// </summary>
public sealed partial class SweepRunner(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options, ILogger<SweepRunner> logger)
{
    private static readonly Counter<long> SubjectsExamined = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.subjects_examined", description: "Subjects a sweep has decided on");
    private static readonly Counter<long> Requests = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.requests", description: "Requests sent to the vault (one RemovalsRequested each, up to a message's worth of subjects), by action");
    private static readonly Counter<long> Tokens = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.tokens", description: "Tokens the vault was asked to erase or anonymise");
    private static readonly Counter<long> Batches = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.batches", description: "Sweep batches committed");

    // The outbox relay resolves a row's type from this name (the format of OutboxMessage.TypeName).
    private static readonly string RemovalsType = $"{typeof(RemovalsRequested).FullName}, {typeof(RemovalsRequested).Assembly.GetName().Name}";
    private static readonly string ExpiredRemovalsType = $"{typeof(ExpiredRemovalsRequested).FullName}, {typeof(ExpiredRemovalsRequested).Assembly.GetName().Name}";

    // DataCategory travels as its number in event JSON; the database spells it by name. Names come in the order of values.
    private static readonly string[] CategoryNames = Enum.GetNames<DataCategory>();

    /// <summary>Starts a sweep, or returns the one already running (and false).</summary>
    public async Task<(Sweep Sweep, bool Started)> StartAsync(string trigger, string requestedBy, CancellationToken cancellationToken)
    {
        if (await RunningAsync(cancellationToken) is { } running)
        {
            return (running, false);
        }

        var now = time.GetUtcNow();
        var sweep = new Sweep
        {
            Id = Guid.CreateVersion7(now),
            Trigger = trigger,
            RequestedBy = requestedBy,
            AsOf = now,
            StartedAt = now,
            State = Sweep.Running,
            SubjectsTotal = await db.Subjects.LongCountAsync(cancellationToken),
        };
        db.Sweeps.Add(sweep);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Another instance started one first.
            db.ChangeTracker.Clear();
            return (await RunningAsync(cancellationToken) ?? throw new InvalidOperationException("A sweep conflicted but none is running."), false);
        }

        LogStarted(logger, sweep.Id, trigger, sweep.SubjectsTotal);
        return (sweep, true);
    }

    public Task<Sweep?> RunningAsync(CancellationToken cancellationToken) =>
        db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.State == Sweep.Running, cancellationToken);

    /// <summary>Runs the running sweep's batches until it completes or <paramref name="cancellationToken"/> stops it.</summary>
    public async Task RunToCompletionAsync(Guid sweepId, CancellationToken cancellationToken)
    {
        var pause = options.Value.PauseBetweenBatches;
        while (await RunBatchAsync(sweepId, cancellationToken))
        {
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken);
            }
        }
    }

    /// <summary>One batch in one transaction; false once the sweep is complete.</summary>
    public async Task<bool> RunBatchAsync(Guid sweepId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        // Holds placed while this batch decides wait for it; holds placed before it are seen (INF-6.4).
        await db.Database.ExecuteSqlRawAsync("lock table legal_holds in share mode", cancellationToken);
        var sweep = await db.Sweeps.FromSql($"select * from sweeps where id = {sweepId} for update").AsNoTracking().SingleAsync(cancellationToken);
        if (sweep.State != Sweep.Running)
        {
            return false;
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var after = sweep.CursorSubject ?? "";
        var (last, examined) = await NextBatchAsync(connection, after, cancellationToken);
        if (last is null)
        {
            await db.Database.ExecuteSqlAsync($"update sweeps set state = {Sweep.Completed}, completed_at = {time.GetUtcNow()} where id = {sweep.Id}", cancellationToken);
            await tx.CommitAsync(cancellationToken);
            LogCompleted(logger, sweep.Id, sweep.SubjectsExamined, sweep.ItemsErasure, sweep.ItemsAnonymisation, sweep.SubjectsHeld);
            return false;
        }

        var locked = watch.Elapsed;
        await db.Database.ExecuteSqlRawAsync(SweepSql.BatchSettings, cancellationToken);
        long removedByRange;
        await using (var command = new NpgsqlCommand(SweepSql.Sweep, connection) { CommandTimeout = 300 })
        {
            AddDecisionParameters(command, after, last, sweep.AsOf);
            command.Parameters.Add(new NpgsqlParameter<Guid>("sweep", sweep.Id));
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
            command.Parameters.Add(new NpgsqlParameter<long>("examined", examined));
            command.Parameters.Add(new NpgsqlParameter<string>("message_type", RemovalsType));
            command.Parameters.Add(new NpgsqlParameter<string>("expired_message_type", ExpiredRemovalsType));
            command.Parameters.Add(new NpgsqlParameter("trace_parent", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)System.Diagnostics.Activity.Current?.Id ?? DBNull.Value });
            removedByRange = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // The statement's row count is the records it removed by range: the only count of them there is.
        var counters = await db.Sweeps.FromSql(
                $"update sweeps set tokens_requested = tokens_requested + {removedByRange} where id = {sweep.Id} returning *")
            .AsNoTracking().ToListAsync(cancellationToken);
        var total = counters.SingleOrDefault() ?? throw new InvalidOperationException($"Sweep {sweep.Id} vanished during its batch.");
        var swept = watch.Elapsed;
        await tx.CommitAsync(cancellationToken);
        LogBatch(logger, sweep.Id, examined, locked.TotalMilliseconds, (swept - locked).TotalMilliseconds, (watch.Elapsed - swept).TotalMilliseconds);
        // The sweep's row was locked since the batch read it: what the counters gained is this batch's.
        Requests.Add(total.ItemsErasure - sweep.ItemsErasure, new KeyValuePair<string, object?>("action", RetentionActions.Erase));
        Requests.Add(total.ItemsAnonymisation - sweep.ItemsAnonymisation, new KeyValuePair<string, object?>("action", RetentionActions.Anonymise));
        Tokens.Add(total.TokensRequested - sweep.TokensRequested);
        SubjectsExamined.Add(examined);
        Batches.Add(1);
        return true;
    }

    /// <summary>Decides on every subject without changing anything, with the same rules as a sweep.</summary>
    public async Task<DryRunReport> DryRunAsync(CancellationToken cancellationToken)
    {
        var asOf = time.GetUtcNow();
        var after = "";
        long examined = 0, held = 0, erasures = 0, anonymisations = 0, tokenCount = 0;
        var byReason = new Dictionary<string, long>(StringComparer.Ordinal);
        var examples = new List<DryRunItem>();
        await using var tx = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await db.Database.ExecuteSqlRawAsync(SweepSql.BatchSettings, cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        while (await NextBatchAsync(connection, after, cancellationToken) is (string last, var count))
        {
            await foreach (var request in PreviewAsync(connection, after, last, asOf, cancellationToken))
            {
                if (request.Action == "held")
                {
                    held += request.Tokens;
                    continue;
                }

                _ = request.Action == RetentionActions.Erase ? erasures++ : anonymisations++;
                tokenCount += request.Tokens;
                var key = request.Reason.StartsWith("schedule:", StringComparison.Ordinal) ? "schedule" : request.Reason;
                byReason[key] = byReason.GetValueOrDefault(key) + request.Tokens;
                if (examples.Count < 100)
                {
                    examples.Add(request);
                }
            }

            examined += count;
            after = last;
        }

        return new DryRunReport(asOf, examined, held, erasures, anonymisations, tokenCount, byReason, examples);
    }

    /// <summary>
    /// What a sweep as of <paramref name="asOf"/> would request for the subjects after <paramref name="after"/> up to
    /// <paramref name="last"/>; the item with action <c>held</c> counts the subjects a hold kept something of.
    /// </summary>
    public async Task<List<DryRunItem>> PreviewAsync(string after, string last, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var items = new List<DryRunItem>();
            await foreach (var item in PreviewAsync((NpgsqlConnection)db.Database.GetDbConnection(), after, last, asOf, cancellationToken))
            {
                items.Add(item);
            }

            return items;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async IAsyncEnumerable<DryRunItem> PreviewAsync(NpgsqlConnection connection, string after, string last, DateTimeOffset asOf,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SweepSql.Preview, connection) { CommandTimeout = 300 };
        AddDecisionParameters(command, after, last, asOf);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new DryRunItem(
                reader.IsDBNull(0) ? "" : reader.GetString(0),
                reader.IsDBNull(1) ? null : Enum.Parse<DataCategory>(reader.GetString(1)),
                reader.GetString(2),
                reader.IsDBNull(3) ? "" : reader.GetString(3),
                reader.GetInt32(4));
        }
    }

    private void AddDecisionParameters(NpgsqlCommand command, string after, string last, DateTimeOffset asOf)
    {
        var settings = options.Value;
        command.Parameters.Add(new NpgsqlParameter<string>("after", after));
        command.Parameters.Add(new NpgsqlParameter<string>("last", last));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("as_of", asOf.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<int>("months", settings.CancellationMonths));
        command.Parameters.Add(new NpgsqlParameter<string>("cancel_action", settings.CancellationAction));
        command.Parameters.Add(new NpgsqlParameter<string[]>("category_names", CategoryNames));
        command.Parameters.Add(new NpgsqlParameter<int>("per_message", settings.RemovalsPerMessage));
    }

    /// <summary>The next batch: its last subject (null: none left) and its size.</summary>
    private async Task<(string? Last, long Count)> NextBatchAsync(NpgsqlConnection connection, string after, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SweepSql.NextBatch, connection);
        command.Parameters.Add(new NpgsqlParameter<string>("after", after));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", options.Value.SubjectsPerBatch));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1));
    }

    /// <summary>The highest version of each (category, purpose) schedule.</summary>
    public static Task<List<RetentionSchedule>> CurrentSchedulesAsync(RetentionDbContext db, CancellationToken cancellationToken) =>
        db.Schedules.FromSql(
            $"select distinct on (category, purpose) * from retention_schedules order by category, purpose, version desc")
            .AsNoTracking().ToListAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sweep {SweepId} batch of {Subjects} subjects: lock {LockMs} ms, sweep {SweepMs} ms, commit {CommitMs} ms")]
    private static partial void LogBatch(ILogger logger, Guid sweepId, long subjects, double lockMs, double sweepMs, double commitMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} started ({Trigger}) over {Subjects} subjects")]
    private static partial void LogStarted(ILogger logger, Guid sweepId, string trigger, long subjects);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} completed: {Subjects} subjects, {Erasures} erasure and {Anonymisations} anonymisation requests, {Held} subjects held")]
    private static partial void LogCompleted(ILogger logger, Guid sweepId, long subjects, long erasures, long anonymisations, long held);
}
