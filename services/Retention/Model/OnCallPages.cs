namespace PrivacySuite.Retention.Model;

/// <summary>
/// What in retention needs a person (issue 21.5): a legal hold still standing past its review date, and removals the vault
/// has not answered for <see cref="RetentionOptions.StuckRemovalsAfter"/>. Each is raised once, as an
/// <see cref="OnCallPageRequested"/> the notification service sends to the on-call person until acknowledged.
/// </summary>
public static class OnCallPages
{
    /// <summary>Raises what became due; answers how many pages were requested.</summary>
    public static async Task<int> RaiseDuePagesAsync(this RetentionDbContext db, DateTimeOffset now, TimeSpan stuckAfter, CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var holds = await db.LegalHolds
            .FromSql($"select * from legal_holds where released_at is null and review_paged_at is null and review_at <= {now} order by review_at limit 100 for update skip locked")
            .ToListAsync(cancellationToken);
        foreach (var hold in holds)
        {
            hold.ReviewPagedAt = now;
            // The hold's reference is the officer's free text: it stays out of the page, which names the hold by id.
            db.AddIntegrationEvent(new OnCallPageRequested(OnCallPageKinds.LegalHoldReviewOverdue, hold.Id.ToString(),
                $"法律保留 {hold.Id}（原因：{hold.ReasonCode}）已过复核日期 {OnCallPageTimes.Cst(hold.ReviewAt)}（北京时间），仍未解除：请隐私官复核。",
                $"Legal hold {hold.Id} ({hold.ReasonCode}) is past its review date, {OnCallPageTimes.Utc(hold.ReviewAt)} ({OnCallPageTimes.Cst(hold.ReviewAt)} CST), and still stands: the privacy officer should review it.",
                now), now);
        }

        var cutoff = now - stuckAfter;
        var stuck = await db.SweepItems
            .Where(i => i.State == SweepItemStates.Requested && i.StuckPagedAt == null && i.RequestedAt <= cutoff)
            .GroupBy(i => i.SweepId)
            .Select(g => new { SweepId = g.Key, Requests = g.Count(), Since = g.Min(i => i.RequestedAt) })
            .ToListAsync(cancellationToken);
        foreach (var sweep in stuck)
        {
            var claimed = await db.SweepItems
                .Where(i => i.SweepId == sweep.SweepId && i.State == SweepItemStates.Requested && i.StuckPagedAt == null && i.RequestedAt <= cutoff)
                .ExecuteUpdateAsync(u => u.SetProperty(i => i.StuckPagedAt, now), cancellationToken);
            if (claimed == 0)
            {
                continue;
            }

            db.AddIntegrationEvent(new OnCallPageRequested(OnCallPageKinds.RemovalsStuck, sweep.SweepId.ToString(),
                $"清理任务 {sweep.SweepId} 有 {claimed} 个删除请求自 {OnCallPageTimes.Cst(sweep.Since)}（北京时间）起未得到数据保险库答复：请检查保险库及其队列。",
                $"Sweep {sweep.SweepId}: {claimed} removal requests to the vault unanswered since {OnCallPageTimes.Utc(sweep.Since)} ({OnCallPageTimes.Cst(sweep.Since)} CST). Check the vault and its queue.",
                now), now);
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return holds.Count + stuck.Count;
    }
}
