using MassTransit;

namespace PrivacySuite.Incidents.IntegrationEvents;

/// <summary>Counts a delivered notice of a campaign batch (Notifications answers with the batch id as request id).</summary>
public sealed class CountDeliveredNoticeOnNoticeDelivered(IncidentsDbContext db) : InboxConsumer<NoticeDelivered, IncidentsDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<NoticeDelivered> context)
    {
        var campaignId = await Db.NoticeBatches.Where(b => b.BatchId == context.Message.RequestId).Select(b => (Guid?)b.CampaignId)
            .SingleOrDefaultAsync(context.CancellationToken);
        if (campaignId is { } id)
        {
            await Db.Campaigns.Where(c => c.Id == id).ExecuteUpdateAsync(u => u.SetProperty(c => c.Delivered, c => c.Delivered + 1), context.CancellationToken);
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

        var campaign = await Db.Campaigns.FromSql($"select * from notice_campaigns where id = {id} for update").SingleAsync(context.CancellationToken);
        campaign.Failed++;
        Workers.Bulletins.Request(Db, campaign, Workers.Bulletins.Unreachable, time.Now());
    }
}
