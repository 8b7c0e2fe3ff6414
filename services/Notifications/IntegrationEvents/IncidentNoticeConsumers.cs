using MassTransit;
using PrivacySuite.Notifications.Channels;
using PrivacySuite.Notifications.Model;
using PrivacySuite.Notifications.Sending;

namespace PrivacySuite.Notifications.IntegrationEvents;

/// <summary>
/// Queues one batch of an incident's notice campaign. The batch id is the request id, so a re-sent batch is recorded
/// once, and every NoticesDelivered or NoticeFailed of the batch carries it back to the incident (INF-3.4, IWK-2.8).
/// </summary>
public sealed class QueueIncidentNoticesOnNoticeBatchRequested(
    NotificationsDbContext db, NoticeIntake intake, DeliverySignal signal, IOptions<NotificationsOptions> options,
    ILogger<QueueIncidentNoticesOnNoticeBatchRequested> logger)
    : InboxConsumer<NoticeBatchRequested, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<NoticeBatchRequested> context)
    {
        var m = context.Message;
        return NoticeRequestHandling.QueueAsync(Db, intake, signal, logger, m.BatchId, IncidentNotices.NoticeType, m.SubjectIds,
            IncidentNotices.Variables(m.Variables, options.Value.IncidentContact), m.RequestedAt, context.CancellationToken);
    }
}

/// <summary>Publishes a public bulletin (IWK-2.6, IWK-2.9) under the publisher's bulletin id, so it appears once.</summary>
public sealed class PublishBulletinOnBulletinRequested(NotificationsDbContext db, IOptions<NotificationsOptions> options)
    : InboxConsumer<BulletinRequested, NotificationsDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<BulletinRequested> context)
    {
        var m = context.Message;
        if (await Db.Bulletins.AnyAsync(b => b.BulletinId == m.BulletinId, context.CancellationToken))
        {
            return;
        }

        var (noticeType, variables) = m.IncidentId is null
            ? (m.NoticeType, m.Variables)
            : (IncidentNotices.NoticeType, IncidentNotices.Variables(m.Variables, options.Value.IncidentContact));

        // A bulletin whose variables do not fit its template is a publisher's bug: fail loudly, to the error queue.
        var template = NoticeTemplates.All.GetValueOrDefault(noticeType)
            ?? throw new InvalidOperationException($"No bulletin template for notice type {noticeType}.");
        var zh = NoticeTemplates.Render(template, NoticeTemplates.Chinese, variables, m.RequestedAt);
        var en = NoticeTemplates.Render(template, NoticeTemplates.English, variables, m.RequestedAt);
        Db.Bulletins.Add(new Bulletin
        {
            BulletinId = m.BulletinId,
            NoticeType = noticeType,
            TitleZh = zh.Subject,
            BodyZh = zh.Body,
            TitleEn = en.Subject,
            BodyEn = en.Body,
            PublishedAt = m.RequestedAt,
        });
    }
}

/// <summary>
/// The incident service writes each of the five parts and the security advice in both languages
/// (<c>what_happened.zh-CN</c>, <c>what_happened.en</c>, …, <c>incident_id</c>); the incident-notice template names them
/// <c>whatHappened</c>, …, <c>incidentId</c> and takes a language's own text first.
/// </summary>
public static class IncidentNotices
{
    public const string NoticeType = NoticeTypes.IncidentNotice;

    public static Dictionary<string, string> Variables(IReadOnlyDictionary<string, string> incident, string contact)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["contact"] = contact };
        foreach (var (key, value) in incident)
        {
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            var name = dot < 0 ? key : key[..dot];
            variables[Camel(name) + (dot < 0 ? "" : key[dot..])] = value;
        }

        return variables;
    }

    private static string Camel(string snake)
    {
        var parts = snake.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(parts.Select((p, i) => i == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
