using System.Diagnostics.Metrics;
using Npgsql;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.Retention.Sweeping;

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
/// Runs sweeps in batches of whole subjects. Each batch is one transaction: it reads the subjects after the sweep's
/// cursor, decides (<see cref="SweepClassifier"/>), records the sweep items, marks the tokens, queues the vault
/// requests in the outbox and moves the cursor. A crash loses at most the open batch, which rolls back and is done
/// again on resume: nothing is requested twice and nothing is skipped.
/// </summary>
public sealed partial class SweepRunner(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options, ILogger<SweepRunner> logger)
{
    private static readonly Counter<long> SubjectsExamined = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.subjects_examined", description: "Subjects a sweep has decided on");
    private static readonly Counter<long> Requests = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.requests", description: "Erasure and anonymisation requests sent to the vault, by action");
    private static readonly Counter<long> Batches = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.retention.sweep.batches", description: "Sweep batches committed");

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
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
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
        var sweep = await db.Sweeps.FromSql($"select * from sweeps where id = {sweepId} for update").SingleAsync(cancellationToken);
        if (sweep.State != Sweep.Running)
        {
            return false;
        }

        var batch = await LoadBatchAsync(sweep.CursorSubject, sweep.AsOf, forUpdate: true, cancellationToken);
        if (batch is null)
        {
            sweep.State = Sweep.Completed;
            sweep.CompletedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            LogCompleted(logger, sweep.Id, sweep.SubjectsExamined, sweep.ItemsErasure, sweep.ItemsAnonymisation, sweep.SubjectsHeld);
            return false;
        }

        var loaded = watch.Elapsed;
        var verdicts = SweepClassifier.Classify(batch.Inputs);
        // The batch's key range in every statement, so PostgreSQL walks the index instead of the table.
        var after = sweep.CursorSubject ?? "";
        var now = time.GetUtcNow();
        var tokens = new List<string>();
        var tokenStates = new List<string>();
        var tokenItems = new List<Guid>();
        var wholeSubjects = new List<string>();
        var wholeItems = new List<Guid>();
        var items = new List<SweepItem>();
        var erasures = new List<ErasureRequested>();
        var anonymisations = new List<AnonymisationRequested>();
        foreach (var verdict in verdicts)
        {
            sweep.SubjectsHeld += verdict.Held ? 1 : 0;
            foreach (var request in verdict.Requests)
            {
                var item = new SweepItem
                {
                    Id = Guid.CreateVersion7(now),
                    SweepId = sweep.Id,
                    SubjectId = verdict.SubjectId,
                    Category = request.Category,
                    Action = request.Action,
                    Reason = request.Reason,
                    Tokens = [.. request.Tokens],
                    RequestedAt = now,
                    State = SweepItemStates.Requested,
                };
                items.Add(item);
                foreach (var token in request.Tokens)
                {
                    tokens.Add(token);
                    tokenStates.Add(request.Action == RetentionActions.Erase ? ItemStates.Erasing : ItemStates.Anonymising);
                    tokenItems.Add(item.Id);
                }

                if (request.Category is null)
                {
                    wholeSubjects.Add(verdict.SubjectId);
                    wholeItems.Add(item.Id);
                }

                if (request.Action == RetentionActions.Erase)
                {
                    erasures.Add(new ErasureRequested(verdict.SubjectId, request.Reason, now, request.Category, item.Id, request.Tokens));
                }
                else
                {
                    anonymisations.Add(new AnonymisationRequested(verdict.SubjectId, request.Category, item.Id, request.Tokens, request.Reason, now));
                }

                sweep.TokensRequested += request.Tokens.Count;
            }
        }

        sweep.ItemsErasure += erasures.Count;
        sweep.ItemsAnonymisation += anonymisations.Count;
        Requests.Add(erasures.Count, new KeyValuePair<string, object?>("action", RetentionActions.Erase));
        Requests.Add(anonymisations.Count, new KeyValuePair<string, object?>("action", RetentionActions.Anonymise));

        // A batch raises thousands of rows: COPY, not one INSERT each.
        await CopySweepItemsAsync(items, cancellationToken);
        if (erasures.Count > 0)
        {
            await db.AddIntegrationEventsAsync(erasures, now, cancellationToken);
        }

        if (anonymisations.Count > 0)
        {
            await db.AddIntegrationEventsAsync(anonymisations, now, cancellationToken);
        }

        var decided = watch.Elapsed;
        if (tokens.Count > 0)
        {
            await db.Database.ExecuteSqlAsync(
                $"""
                update inventory_items i set state = u.state, sweep_item_id = u.item
                from unnest({tokens.ToArray()}::text[], {tokenStates.ToArray()}::text[], {tokenItems.ToArray()}::uuid[]) as u(token, state, item)
                where i.token = u.token and i.subject_id > {after} and i.subject_id <= {batch.LastSubject}
                """, cancellationToken);
        }

        if (wholeSubjects.Count > 0)
        {
            await db.Database.ExecuteSqlAsync(
                $"""
                update retention_subjects s set erasure_item_id = u.item
                from unnest({wholeSubjects.ToArray()}::text[], {wholeItems.ToArray()}::uuid[]) as u(subject_id, item)
                where s.subject_id = u.subject_id and s.subject_id > {after} and s.subject_id <= {batch.LastSubject}
                """, cancellationToken);
        }

        var marked = watch.Elapsed;
        sweep.CursorSubject = batch.LastSubject;
        sweep.SubjectsExamined += batch.Inputs.Subjects.Count;
        sweep.Batches++;
        await db.SaveChangesAsync(cancellationToken);
        var saved = watch.Elapsed;
        await tx.CommitAsync(cancellationToken);
        LogBatch(logger, sweep.Id, loaded.TotalMilliseconds, (decided - loaded).TotalMilliseconds, (marked - decided).TotalMilliseconds,
            (saved - marked).TotalMilliseconds, (watch.Elapsed - saved).TotalMilliseconds);
        SubjectsExamined.Add(batch.Inputs.Subjects.Count);
        Batches.Add(1);
        return true;
    }

    /// <summary>Decides on every subject without changing anything.</summary>
    public async Task<DryRunReport> DryRunAsync(CancellationToken cancellationToken)
    {
        var asOf = time.GetUtcNow();
        string? cursor = null;
        long examined = 0, held = 0, erasures = 0, anonymisations = 0, tokenCount = 0;
        var byReason = new Dictionary<string, long>(StringComparer.Ordinal);
        var examples = new List<DryRunItem>();
        await using var tx = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        while (await LoadBatchAsync(cursor, asOf, forUpdate: false, cancellationToken) is { } batch)
        {
            foreach (var verdict in SweepClassifier.Classify(batch.Inputs))
            {
                held += verdict.Held ? 1 : 0;
                foreach (var request in verdict.Requests)
                {
                    _ = request.Action == RetentionActions.Erase ? erasures++ : anonymisations++;
                    tokenCount += request.Tokens.Count;
                    var key = request.Reason.StartsWith("schedule:", StringComparison.Ordinal) ? "schedule" : request.Reason;
                    byReason[key] = byReason.GetValueOrDefault(key) + request.Tokens.Count;
                    if (examples.Count < 100)
                    {
                        examples.Add(new DryRunItem(verdict.SubjectId, request.Category, request.Action, request.Reason, request.Tokens.Count));
                    }
                }
            }

            examined += batch.Inputs.Subjects.Count;
            cursor = batch.LastSubject;
            db.ChangeTracker.Clear();
        }

        return new DryRunReport(asOf, examined, held, erasures, anonymisations, tokenCount, byReason, examples);
    }

    private async Task CopySweepItemsAsync(List<SweepItem> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return;
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var copy = await connection.BeginBinaryImportAsync(
            "copy sweep_items (id, sweep_id, subject_id, category, action, reason, tokens, requested_at, state) from stdin (format binary)", cancellationToken);
        foreach (var item in items)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(item.Id, NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(item.SweepId, NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(item.SubjectId, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            if (item.Category is { } category)
            {
                await copy.WriteAsync(category.ToString(), NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }

            await copy.WriteAsync(item.Action, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(item.Reason, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(item.Tokens, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(item.RequestedAt, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await copy.WriteAsync(item.State, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    private sealed record Batch(SweepInputs Inputs, string LastSubject);

    private async Task<Batch?> LoadBatchAsync(string? cursor, DateTimeOffset asOf, bool forUpdate, CancellationToken cancellationToken)
    {
        var after = cursor ?? "";
        var limit = options.Value.SubjectsPerBatch;
        var subjects = forUpdate
            ? await db.Subjects.FromSql($"select * from retention_subjects where subject_id > {after} order by subject_id limit {limit} for update")
                .AsNoTracking().ToListAsync(cancellationToken)
            : await db.Subjects.FromSql($"select * from retention_subjects where subject_id > {after} order by subject_id limit {limit}")
                .AsNoTracking().ToListAsync(cancellationToken);
        if (subjects.Count == 0)
        {
            return null;
        }

        var last = subjects[^1].SubjectId;
        var items = forUpdate
            ? await db.Inventory.FromSql($"select * from inventory_items where subject_id > {after} and subject_id <= {last} and state = 'active' for update")
                .AsNoTracking().ToListAsync(cancellationToken)
            : await db.Inventory.FromSql($"select * from inventory_items where subject_id > {after} and subject_id <= {last} and state = 'active'")
                .AsNoTracking().ToListAsync(cancellationToken);
        var fulfilments = await db.PurposeFulfilments.AsNoTracking()
            .Where(f => string.Compare(f.SubjectId, after) > 0 && string.Compare(f.SubjectId, last) <= 0)
            .ToDictionaryAsync(f => (f.SubjectId, f.Purpose), f => f.FulfilledAt, cancellationToken);
        var holds = await db.LegalHolds.AsNoTracking()
            .Where(h => h.ReleasedAt == null && (h.SubjectId == null || (string.Compare(h.SubjectId, after) > 0 && string.Compare(h.SubjectId, last) <= 0)))
            .ToListAsync(cancellationToken);
        var schedules = await CurrentSchedulesAsync(db, cancellationToken);
        var plan = await db.TerminationPlans.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        var settings = options.Value;
        return new Batch(
            new SweepInputs(asOf, subjects, items.ToLookup(i => i.SubjectId, StringComparer.Ordinal), fulfilments, holds,
                schedules.ToDictionary(s => (s.Category, s.Purpose)), plan, settings.CancellationMonths, settings.CancellationAction),
            last);
    }

    /// <summary>The highest version of each (category, purpose) schedule.</summary>
    public static Task<List<RetentionSchedule>> CurrentSchedulesAsync(RetentionDbContext db, CancellationToken cancellationToken) =>
        db.Schedules.FromSql(
            $"select distinct on (category, purpose) * from retention_schedules order by category, purpose, version desc")
            .AsNoTracking().ToListAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sweep {SweepId} batch: load {LoadMs} ms, decide {DecideMs} ms, mark {MarkMs} ms, save {SaveMs} ms, commit {CommitMs} ms")]
    private static partial void LogBatch(ILogger logger, Guid sweepId, double loadMs, double decideMs, double markMs, double saveMs, double commitMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} started ({Trigger}) over {Subjects} subjects")]
    private static partial void LogStarted(ILogger logger, Guid sweepId, string trigger, long subjects);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} completed: {Subjects} subjects, {Erasures} erasure and {Anonymisations} anonymisation requests, {Held} subjects held")]
    private static partial void LogCompleted(ILogger logger, Guid sweepId, long subjects, long erasures, long anonymisations, long held);
}
