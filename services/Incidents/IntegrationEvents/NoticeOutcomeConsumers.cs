using MassTransit;

namespace PrivacySuite.Incidents.IntegrationEvents;

/// <summary>
/// Counts the delivered notices of a campaign batch (Notifications answers with the batch id as request id, one
/// NoticesDelivered per commit of its sender, each naming up to a few hundred subjects). A campaign of millions still
/// brings thousands of these: they are taken in batches, a commit per batch.
/// </summary>
public sealed class CountDeliveredNoticesOnNoticesDelivered(IncidentsDbContext db) : InboxBatchConsumer<NoticesDelivered, IncidentsDbContext>(db)
{
    // Any fixed key: held for the rest of a counting transaction.
    private const long CountingLock = 0x1C1DE7_0001;

    protected override async Task HandleAsync(ConsumeContext<NoticesDelivered> context)
    {
        // The messages of a batch share one transaction: the notice batch's row is locked and loaded by the first of
        // them, counted in memory, and written once with the commit (one UPDATE per notice batch, not one per message).
        // The row lock makes a concurrent consumer wait and then count on from the committed value. Before locking a
        // row, a counting transaction takes one advisory lock: two of them would otherwise lock two notice batches in
        // opposite orders (their messages arrive interleaved) and deadlock, a second lost and a retry message by message.
        var batchId = context.Message.RequestId;
        var batch = Db.NoticeBatches.Local.FirstOrDefault(b => b.BatchId == batchId);
        if (batch is null)
        {
            await Db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock({CountingLock})", context.CancellationToken);
            batch = await Db.NoticeBatches.FromSql($"select * from notice_batches where batch_id = {batchId} for update")
                .SingleOrDefaultAsync(context.CancellationToken);
        }

        if (batch is not null)
        {
            batch.Delivered += context.Message.Deliveries.Count; // a notice of another kind matches no batch and changes nothing
        }
    }
}

/// <summary>A subject of a campaign could not be reached on any channel: count it, and publish the bulletin (IWK-2.9) once.</summary>
public sealed class RequestBulletinOnNoticeFailed(IncidentsDbContext db, TimeProvider time) : InboxConsumer<NoticeFailed, IncidentsDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<NoticeFailed> context)
    {
        var campaignId = await Db.NoticeBatches.Where(b => b.BatchId == context.Message.RequestId).Select(b => (Guid?)b.CampaignId)
            .SingleOrDefaultAsync(context.CancellationToken);
        if (campaignId is not { } id)
        {
            return; // a notice of another kind
        }

        await Db.NoticeBatches.Where(b => b.BatchId == context.Message.RequestId)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Failed, b => b.Failed + 1), context.CancellationToken);
        if (await Db.Campaigns.AnyAsync(c => c.Id == id && c.BulletinId == null, context.CancellationToken))
        {
            // Locked only while no bulletin exists yet, so that two failures never request two bulletins.
            var campaign = await Db.Campaigns.FromSql($"select * from notice_campaigns where id = {id} for update").SingleAsync(context.CancellationToken);
            Model.Bulletins.Request(Db, campaign, Model.Bulletins.Unreachable, time.Now());
        }
    }
}
