using MassTransit;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.IntegrationEvents;

/// <summary>Queues a notice for one subject. The request id is the key: the same request arriving twice is recorded once.</summary>
public sealed class QueueNoticeOnNoticeRequested(NotificationsDbContext db, NoticeIntake intake, DeliverySignal signal, ILogger<QueueNoticeOnNoticeRequested> logger)
    : InboxConsumer<NoticeRequested, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<NoticeRequested> context)
    {
        var m = context.Message;
        return NoticeRequestHandling.QueueAsync(Db, intake, signal, logger, m.RequestId, m.NoticeType, [m.SubjectId], m.Variables, m.RequestedAt, context.CancellationToken);
    }
}

/// <summary>Queues a campaign: one request for many subjects, sent in batches.</summary>
public sealed class QueueCampaignOnNoticeCampaignRequested(NotificationsDbContext db, NoticeIntake intake, DeliverySignal signal, ILogger<QueueCampaignOnNoticeCampaignRequested> logger)
    : InboxConsumer<NoticeCampaignRequested, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<NoticeCampaignRequested> context)
    {
        var m = context.Message;
        return NoticeRequestHandling.QueueAsync(Db, intake, signal, logger, m.RequestId, m.NoticeType, m.SubjectIds, m.Variables, m.RequestedAt, context.CancellationToken);
    }
}

internal static class NoticeRequestHandling
{
    public static async Task QueueAsync(
        NotificationsDbContext db,
        NoticeIntake intake,
        DeliverySignal signal,
        ILogger logger,
        Guid requestId,
        string noticeType,
        IReadOnlyList<string> subjectIds,
        IReadOnlyDictionary<string, string>? variables,
        DateTimeOffset requestedAt,
        CancellationToken cancellationToken)
    {
        // A producer may publish the same request twice under different message ids; the request id decides.
        if (await db.NoticeRequests.AnyAsync(r => r.RequestId == requestId, cancellationToken))
        {
            return;
        }

        var subjects = subjectIds.Where(s => SubjectId.TryParse(s, out _)).ToList();
        if (subjects.Count == 0)
        {
            return;
        }

        var valid = NoticeIntake.Check(noticeType, variables, requestedAt).Count == 0;
        await intake.AddAsync(
            new NoticeRequest
            {
                RequestId = requestId,
                NoticeType = noticeType.Length > 64 ? noticeType[..64] : noticeType,
                // A one-time code is never stored, even in a request that (wrongly) carries one: it is refused and dropped.
                Variables = NoticeTemplates.Storable(noticeType, variables),
                RequestedAt = requestedAt,
            },
            subjects,
            valid,
            cancellationToken);
        Log.RequestAccepted(logger, requestId, noticeType, subjects.Count);
        signal.Notify();
    }
}
