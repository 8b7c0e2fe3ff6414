namespace PrivacySuite.Retention.Model;

/// <summary>
/// INF-5.3: tells every subject with data of a transfer plan's categories (and not erased) that it moves to the receiver,
/// in resumable batches: each batch's notices and the plan's cursor commit together, so a restart goes on after the last.
/// </summary>
public sealed partial class TransferNotices(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options, ILogger<TransferNotices> logger)
{
    /// <summary>Sends every due batch of every plan still notifying.</summary>
    public async Task RunDueAsync(CancellationToken cancellationToken)
    {
        var notifying = await db.TransferPlans.AsNoTracking().Where(p => p.NoticesFinishedAt == null).OrderBy(p => p.PlannedAt).Select(p => p.Id)
            .ToListAsync(cancellationToken);
        foreach (var planId in notifying)
        {
            while (!cancellationToken.IsCancellationRequested && await SendBatchAsync(planId, cancellationToken))
            {
            }
        }
    }

    /// <summary>One batch; false when the plan is told in full, or taken by another instance.</summary>
    private async Task<bool> SendBatchAsync(Guid planId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var plan = await db.TransferPlans
            .FromSql($"select * from transfer_plans where id = {planId} and notices_finished_at is null for update skip locked")
            .SingleOrDefaultAsync(cancellationToken);
        if (plan is null)
        {
            return false;
        }

        var after = plan.CursorSubject ?? "";
        var limit = options.Value.NoticesPerBatch;
        var categories = plan.Categories.Select(Enum.Parse<DataCategory>).ToList();
        // Subjects in id order (the primary key), each with a value of a transferred category (the inventory's index by subject).
        var subjects = await db.Subjects.AsNoTracking()
            .Where(s => string.Compare(s.SubjectId, after) > 0 && s.ErasedAt == null &&
                        db.Inventory.Any(i => i.SubjectId == s.SubjectId && categories.Contains(i.Category)))
            .OrderBy(s => s.SubjectId).Take(limit).Select(s => s.SubjectId)
            .ToListAsync(cancellationToken);

        // Every batch is the one notice asked for when the plan was made: the template checks the date is after the request.
        var variables = TransferRules.NoticeVariablesOf(plan);
        foreach (var subject in subjects)
        {
            db.AddIntegrationEvent(new NoticeRequested(Guid.CreateVersion7(now), NoticeTypes.MergerTransferNotice, subject, variables, plan.PlannedAt), now);
        }

        plan.SubjectsNotified += subjects.Count;
        if (subjects.Count > 0)
        {
            plan.CursorSubject = subjects[^1];
        }

        if (subjects.Count < limit)
        {
            plan.NoticesFinishedAt = now;
            LogNoticesFinished(logger, plan.Id, plan.SubjectsNotified);
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return plan.NoticesFinishedAt is null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Transfer plan {PlanId}: merger transfer notices asked for {Count} subjects, every affected subject")]
    private static partial void LogNoticesFinished(ILogger logger, Guid planId, long count);
}
