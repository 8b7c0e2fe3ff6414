using MassTransit;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.IntegrationEvents;

/// <summary>
/// Queues one batch of an incident's notice campaign. The batch id is the request id, so a re-sent batch is recorded
/// once, and every NoticesDelivered or NoticeFailed of the batch carries it back to the incident (INF-3.4, IWK-2.8).
/// </summary>
public sealed class QueueIncidentNoticesOnNoticeBatchRequested(NotificationsDbContext db, NoticeIntake intake, IOptions<NotificationsOptions> options)
    : InboxConsumer<NoticeBatchRequested, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<NoticeBatchRequested> context)
    {
        var m = context.Message;
        return intake.QueueAsync(m.BatchId,
            new NoticeAsk(IncidentNotices.NoticeType, m.SubjectIds, IncidentNotices.Variables(m.Variables, options.Value.IncidentContact)),
            m.RequestedAt, context.CancellationToken);
    }
}

/// <summary>Publishes a public bulletin (IWK-2.6, IWK-2.9) under the publisher's bulletin id, so it appears once.</summary>
public sealed class PublishBulletinOnBulletinRequested(NotificationsDbContext db, Bulletins bulletins, IOptions<NotificationsOptions> options)
    : InboxConsumer<BulletinRequested, NotificationsDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<BulletinRequested> context)
    {
        var m = context.Message;
        var (noticeType, variables) = m.IncidentId is null
            ? (m.NoticeType, m.Variables)
            : (IncidentNotices.NoticeType, IncidentNotices.Variables(m.Variables, options.Value.IncidentContact));

        // A bulletin whose variables do not fit its template is a publisher's bug: fail loudly, to the error queue. The
        // variables are named, never their values.
        if (await bulletins.PublishAsync(m.BulletinId, noticeType, variables, m.RequestedAt, context.CancellationToken) is Outcome<Bulletin>.Refused { Why: var why })
        {
            throw new InvalidOperationException(
                $"Bulletin {m.BulletinId} ({noticeType}) was refused: {why.Detail} ({string.Join(", ", ((IReadOnlyDictionary<string, string[]>)why.Extensions!["errors"]!).Keys)})");
        }
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
