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

        var verdicts = SweepClassifier.Classify(batch.Inputs);
        var now = time.GetUtcNow();
        var tokens = new List<string>();
        var tokenStates = new List<string>();
        var tokenItems = new List<Guid>();
        var wholeSubjects = new List<string>();
        var wholeItems = new List<Guid>();
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
                db.SweepItems.Add(item);
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
                    sweep.ItemsErasure++;
                    db.AddIntegrationEvent(new ErasureRequested(verdict.SubjectId, request.Reason, now, request.Category, item.Id, request.Tokens), now);
                }
                else
                {
                    sweep.ItemsAnonymisation++;
                    db.AddIntegrationEvent(new AnonymisationRequested(verdict.SubjectId, request.Category, item.Id, request.Tokens, request.Reason, now), now);
                }

                sweep.TokensRequested += request.Tokens.Count;
                Requests.Add(1, new KeyValuePair<string, object?>("action", request.Action));
            }
        }

        if (tokens.Count > 0)
        {
            await db.Database.ExecuteSqlAsync(
                $"""
                update inventory_items i set state = u.state, sweep_item_id = u.item
                from unnest({tokens.ToArray()}::text[], {tokenStates.ToArray()}::text[], {tokenItems.ToArray()}::uuid[]) as u(token, state, item)
                where i.token = u.token
                """, cancellationToken);
        }

        if (wholeSubjects.Count > 0)
        {
            await db.Database.ExecuteSqlAsync(
                $"""
                update retention_subjects s set erasure_item_id = u.item
                from unnest({wholeSubjects.ToArray()}::text[], {wholeItems.ToArray()}::uuid[]) as u(subject_id, item)
                where s.subject_id = u.subject_id
                """, cancellationToken);
        }

        sweep.CursorSubject = batch.LastSubject;
        sweep.SubjectsExamined += batch.Inputs.Subjects.Count;
        sweep.Batches++;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} started ({Trigger}) over {Subjects} subjects")]
    private static partial void LogStarted(ILogger logger, Guid sweepId, string trigger, long subjects);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {SweepId} completed: {Subjects} subjects, {Erasures} erasure and {Anonymisations} anonymisation requests, {Held} subjects held")]
    private static partial void LogCompleted(ILogger logger, Guid sweepId, long subjects, long erasures, long anonymisations, long held);
}
