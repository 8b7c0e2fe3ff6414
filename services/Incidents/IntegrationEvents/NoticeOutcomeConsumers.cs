using MassTransit;

namespace PrivacySuite.Incidents.IntegrationEvents;

/// <summary>
/// Counts the delivered notices of a campaign batch (Notifications answers with the batch id as request id, one
/// NoticesDelivered per commit of its sender, each naming up to a few hundred subjects). A campaign of millions still
/// brings thousands of these: they are taken in batches, a commit per batch.
/// </summary>
public sealed class CountDeliveredNoticesOnNoticesDelivered(IncidentsDbContext db) : InboxBatchConsumer<NoticesDelivered, IncidentsDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<NoticesDelivered> context)
    {
        // A notice of another kind matches no batch and changes nothing.
        var delivered = context.Message.Deliveries.Count;
        await Db.NoticeBatches.Where(b => b.BatchId == context.Message.RequestId)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Delivered, b => b.Delivered + delivered), context.CancellationToken);
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
            Workers.Bulletins.Request(Db, campaign, Workers.Bulletins.Unreachable, time.Now());
        }
    }
}
