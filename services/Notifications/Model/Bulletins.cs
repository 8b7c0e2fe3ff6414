
namespace PrivacySuite.Notifications.Model;

/// <summary>
/// Public announcements (IWK-2.6, IWK-2.9): a notice template rendered in both languages at once and published under
/// its id, once. The API publishes one for the people who answer for what the public is told; the incident service
/// asks for one with BulletinRequested.
/// </summary>
public sealed class Bulletins(NotificationsDbContext db)
{
    /// <summary>
    /// Publishes the bulletin, or answers the one already published under <paramref name="bulletinId"/>. Refused (422,
    /// naming the variables) when the variables do not fit the template as it is rendered now: every variable present,
    /// none a sender fills in (a one-time code has no place in a public announcement).
    /// </summary>
    public async Task<Outcome<Bulletin>> PublishAsync(Guid bulletinId, string noticeType, IReadOnlyDictionary<string, string>? variables,
        DateTimeOffset publishedAt, CancellationToken cancellationToken)
    {
        if (await db.Bulletins.AsNoTracking().SingleOrDefaultAsync(b => b.BulletinId == bulletinId, cancellationToken) is { } published)
        {
            return published;
        }

        var errors = NoticeIntake.Check(noticeType, variables, publishedAt);
        if (errors.Count == 0)
        {
            errors = NoticeTemplates.Validate(NoticeTemplates.All[noticeType], variables, publishedAt, rendering: true);
        }

        if (errors.Count > 0)
        {
            return NoticeIntake.VariablesRefusal(errors);
        }

        var template = NoticeTemplates.All[noticeType];
        var values = variables ?? new Dictionary<string, string>();
        var zh = NoticeTemplates.Render(template, NoticeTemplates.Chinese, values, publishedAt);
        var en = NoticeTemplates.Render(template, NoticeTemplates.English, values, publishedAt);
        var bulletin = new Bulletin
        {
            BulletinId = bulletinId,
            NoticeType = noticeType,
            TitleZh = zh.Subject,
            BodyZh = zh.Body,
            TitleEn = en.Subject,
            BodyEn = en.Body,
            PublishedAt = publishedAt,
        };
        db.Bulletins.Add(bulletin);
        await db.SaveChangesAsync(cancellationToken);
        return bulletin;
    }
}
