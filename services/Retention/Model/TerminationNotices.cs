namespace PrivacySuite.Retention.Model;

/// <summary>
/// IWK-2.6: sends a termination plan's notices (at once, then the reminders) to every subject in resumable batches,
/// with a bulletin for each, and stops collection at the end date.
/// </summary>
public sealed partial class TerminationNotices(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options, ILogger<TerminationNotices> logger)
{
    /// <summary>Sends what is due; true when this call stopped collection (so everything is now due for removal).</summary>
    public async Task<bool> RunDueAsync(CancellationToken cancellationToken)
    {
        var plan = await db.TerminationPlans.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (plan is null)
        {
            return false;
        }

        while (await SendBatchAsync(plan, cancellationToken))
        {
        }

        return plan.CollectionStoppedAt is null && plan.EndsAt <= time.GetUtcNow() && await StopCollectionAsync(plan.Id, cancellationToken);
    }

    /// <summary>One batch of the earliest due notice run; false when nothing is due.</summary>
    private async Task<bool> SendBatchAsync(TerminationPlan plan, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var run = await db.TerminationNoticeRuns
            .FromSql($"select * from termination_notice_runs where plan_id = {plan.Id} and completed_at is null and due_at <= {now} order by due_at limit 1 for update skip locked")
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return false;
        }

        var o = options.Value;
        var erase = plan.Action == RetentionActions.Erase;
        var variables = run.NoticeType == NoticeTypes.TerminationNotice
            ? NoticeVariables.TerminationNotice(o.ServiceName, plan.EndsAt, erase, o.DataExportUrl)
            : NoticeVariables.TerminationReminder(o.ServiceName, plan.EndsAt, Math.Max(0, (int)Math.Ceiling((plan.EndsAt - run.DueAt).TotalDays)), erase, o.DataExportUrl);

        // Every batch of a run is the one notice requested when the run fell due: a run that goes on past midnight must
        // not make a 30-days-ahead end date look too close to the template's check (IWK-2.6).
        var requestedAt = run.DueAt;
        if (run.CursorSubject is null && run.Sent == 0)
        {
            db.AddIntegrationEvent(new BulletinRequested(Guid.CreateVersion7(now), run.NoticeType, variables, requestedAt), now);
        }

        var after = run.CursorSubject ?? "";
        var limit = options.Value.NoticesPerBatch;
        var subjects = await db.Subjects.AsNoTracking()
            .Where(s => string.Compare(s.SubjectId, after) > 0 && s.ErasedAt == null)
            .OrderBy(s => s.SubjectId).Take(limit).Select(s => s.SubjectId)
            .ToListAsync(cancellationToken);
        foreach (var subject in subjects)
        {
            db.AddIntegrationEvent(new NoticeRequested(Guid.CreateVersion7(now), run.NoticeType, subject, variables, requestedAt), now);
        }

        run.Sent += subjects.Count;
        if (subjects.Count > 0)
        {
            run.CursorSubject = subjects[^1];
        }

        if (subjects.Count < limit)
        {
            run.CompletedAt = now;
            LogRunCompleted(logger, plan.Id, run.NoticeType, run.Sent);
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    private async Task<bool> StopCollectionAsync(Guid planId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var plan = await db.TerminationPlans.FromSql($"select * from termination_plans where id = {planId} for update").SingleAsync(cancellationToken);
        if (plan.CollectionStoppedAt is not null)
        {
            return false;
        }

        plan.CollectionStoppedAt = now;
        db.AddIntegrationEvent(new CollectionStopped(plan.Id, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        LogCollectionStopped(logger, plan.Id);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Termination plan {PlanId}: {NoticeType} notices sent to {Count} subjects")]
    private static partial void LogRunCompleted(ILogger logger, Guid planId, string noticeType, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Termination plan {PlanId} reached its end date: collection stopped")]
    private static partial void LogCollectionStopped(ILogger logger, Guid planId);
}
