using System.Text;

namespace PrivacySuite.Notifications.Model;

/// <summary>
/// Pages the on-call person (issue 21.5): raise a page, send its next round while nobody acknowledged it, acknowledge it.
/// A round goes through the dispatcher like any notice (push or SMS first, e-mail as the fallback, at most once per
/// channel), to the responders' configured contacts.
/// </summary>
public sealed class Paging(NotificationsDbContext db, NoticeIntake intake, IOptions<OnCallOptions> options, TimeProvider time, ILogger<Paging> logger)
{
    public const int MaxReferenceLength = 200;

    /// <summary>A page is known by what it is about: raising it again finds the same page.</summary>
    public static Guid PageId(string kind, string reference) => NameBasedIds.From(Encoding.UTF8.GetBytes($"on-call-page/{kind}/{reference}"));

    /// <summary>The notice request of a page's round: the same round asked twice is recorded once.</summary>
    public static Guid RoundId(Guid pageId, int round) => NameBasedIds.From(Encoding.UTF8.GetBytes($"on-call-page-round/{pageId:N}/{round}"));

    /// <summary>Records the page and sends its first round, in the caller's unit of work; false when it was raised before.</summary>
    public async Task<bool> RaiseAsync(OnCallPageRequested request, CancellationToken cancellationToken)
    {
        var reference = Clip(request.Reference, MaxReferenceLength);
        var pageId = PageId(request.Kind, reference);
        if (await db.OnCallPages.AnyAsync(p => p.PageId == pageId, cancellationToken))
        {
            return false;
        }

        var now = time.GetUtcNow();
        var page = new OnCallPage
        {
            PageId = pageId,
            Kind = Clip(request.Kind, 64),
            Reference = reference,
            // A template value is at most NoticeTemplates.MaxValueLength; a page is read on a phone, so far shorter is kept.
            WhatZhCn = Clip(request.WhatZhCn, 500),
            WhatEn = Clip(request.WhatEn, 500),
            RaisedAt = now,
            NextRoundAt = now,
        };
        db.OnCallPages.Add(page);
        await SendRoundAsync(page, now, cancellationToken);
        Log.PageRaised(logger, pageId, page.Kind);
        return true;
    }

    /// <summary>
    /// The next round of a page nobody acknowledged yet: to whoever is on duty now (and the next on the rota once it has gone
    /// on long enough). With nobody on the rota the round is counted and logged, and nothing can be sent.
    /// </summary>
    public async Task SendRoundAsync(OnCallPage page, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        page.Rounds++;
        page.NextRoundAt = now + settings.RepeatEvery;
        var paged = settings.Paged(now, page.Rounds);
        if (paged.Count == 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            Log.NobodyOnCall(logger, page.PageId, page.Rounds);
            return;
        }

        var request = new NoticeRequest
        {
            RequestId = RoundId(page.PageId, page.Rounds),
            NoticeType = NoticeTypes.OnCallPage,
            Variables = NoticeVariables.OnCallPage(page.PageId, page.WhatZhCn, page.WhatEn, (int)Math.Ceiling(settings.RepeatEvery.TotalMinutes)),
            Caller = "on-call-pager",
            RequestedAt = now,
        };
        await intake.AddAsync(request, paged.Select(OnCallOptions.RecipientOf).ToList(), valid: true, cancellationToken);
        Log.PageRound(logger, page.PageId, page.Rounds, paged.Count);
    }

    /// <summary>Stops the page's rounds; acknowledging an acknowledged page changes nothing and answers the first acknowledgement.</summary>
    public async Task<OnCallPage?> AcknowledgeAsync(Guid pageId, string acknowledgedBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await db.OnCallPages.Where(p => p.PageId == pageId && p.AcknowledgedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.AcknowledgedAt, now).SetProperty(p => p.AcknowledgedBy, acknowledgedBy), cancellationToken);
        return await db.OnCallPages.AsNoTracking().SingleOrDefaultAsync(p => p.PageId == pageId, cancellationToken);
    }

    private static string Clip(string value, int length) => value.Length > length ? value[..length] : value;
}
