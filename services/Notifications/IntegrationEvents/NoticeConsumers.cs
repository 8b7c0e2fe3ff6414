using MassTransit;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.IntegrationEvents;

/// <summary>Queues a notice for one subject. The request id is the key: the same request arriving twice is recorded once.</summary>
public sealed class QueueNoticeOnNoticeRequested(NotificationsDbContext db, NoticeIntake intake)
    : InboxConsumer<NoticeRequested, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<NoticeRequested> context)
    {
        var m = context.Message;
        return intake.QueueAsync(m.RequestId, new NoticeAsk(m.NoticeType, [m.SubjectId], m.Variables), m.RequestedAt, context.CancellationToken);
    }
}

/// <summary>Queues a campaign: one request for many subjects, sent in batches.</summary>
public sealed class QueueCampaignOnNoticeCampaignRequested(NotificationsDbContext db, NoticeIntake intake)
    : InboxConsumer<NoticeCampaignRequested, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<NoticeCampaignRequested> context)
    {
        var m = context.Message;
        return intake.QueueAsync(m.RequestId, new NoticeAsk(m.NoticeType, m.SubjectIds, m.Variables), m.RequestedAt, context.CancellationToken);
    }
}
