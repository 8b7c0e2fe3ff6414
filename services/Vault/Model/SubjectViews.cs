using PrivacySuite.Vault.Workers;

namespace PrivacySuite.Vault.Model;

/// <summary>One entry of a subject's access log as the subject sees it: who did what, when, for which purpose; no detail, no value.</summary>
public sealed record SubjectAccessEntry(long Position, DateTimeOffset At, string Accessor, string Action, string Outcome, string? Purpose, string? Category);

/// <summary>One of a subject's rights requests and where it stands (see <see cref="SubjectViews.StateOf"/>).</summary>
public sealed record SubjectRequest(Guid Id, string Request, DateTimeOffset StartedAt, DateTimeOffset ExpiresAt, string State, DateTimeOffset? DoneAt);

/// <summary>
/// What a person sees of their own data in the privacy centre (issue 20): who read or acted on it (IWK-2.3) and their
/// rights requests (INF-6). Reads of the vault's own records, never of values; reading the access log is itself logged.
/// </summary>
public sealed class SubjectViews(VaultDbContext db, AccessLogAppender appender, IOptions<VaultOptions> options, TimeProvider time)
{
    public const int MaxPage = 200;
    public const int DefaultPage = 50;

    /// <summary>The access-log action of a read of a subject's access log.</summary>
    public const string AccessLogRead = "access-log-read";

    public static readonly IReadOnlyList<string> States = ["open", "approved", "done", "expired"];

    /// <summary>
    /// The subject's access-log entries, newest first, <paramref name="limit"/> of them before position
    /// <paramref name="before"/>; the next page's <c>before</c> when there are more. A disclosure to an authority is left
    /// out unless the subject was told of it: the officer may withhold it where the law says so (INF-5.4). The read is
    /// appended to the log (group commit, as every read) before the page is answered.
    /// </summary>
    public async Task<(IReadOnlyList<SubjectAccessEntry> Entries, long? Next)> AccessLogAsync(string subjectId, long? before, int limit, string accessor,
        CancellationToken ct)
    {
        var query = db.AccessLog.AsNoTracking().Where(a => a.SubjectId == subjectId);
        if (before is { } position)
        {
            query = query.Where(a => a.Position < position);
        }

        // Fails closed: a withheld disclosure always says ";withheld=", a told one ends ";subject-notified" (VaultService.DiscloseAsync).
        query = query.Where(a => a.Action != "disclosure" || (a.Detail != null && a.Detail.EndsWith(";subject-notified") && !a.Detail.Contains(";withheld=")));
        var entries = await query.OrderByDescending(a => a.Position).Take(limit + 1)
            .Select(a => new SubjectAccessEntry(a.Position, a.At, a.Accessor, a.Action, a.Outcome, a.Purpose, a.Category))
            .ToListAsync(ct);
        var page = entries.Take(limit).ToList();
        await appender.AppendAsync([new AccessRecord(AccessLogRead, "allowed", subjectId, accessor, "subject-access", Detail: $"entries={page.Count}")], ct);
        return (page, entries.Count > limit ? page[^1].Position : null);
    }

    /// <summary>The subject's rights requests (access, export, rectification, erasure), newest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<SubjectRequest>> RequestsAsync(string subjectId, int limit, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var requests = IdentityVerifications.Requests.ToList();
        var rows = await db.Verifications.AsNoTracking().Where(v => v.SubjectId == subjectId && requests.Contains(v.Request))
            .OrderByDescending(v => v.ExpiresAt).Take(limit).ToListAsync(ct);
        var lifetime = options.Value.VerificationLifetime;
        return [.. rows.Select(v => new SubjectRequest(v.VerificationId, v.Request, StartOf(v, lifetime), v.ExpiresAt, StateOf(v, now), v.UsedAt))];
    }

    /// <summary>
    /// <c>done</c>: the code was redeemed and the request answered; <c>expired</c>: it was not, in time; <c>approved</c>: open,
    /// with a privacy officer's approval (IWK-2.2); <c>open</c>: waiting for the code. Whether an open access or export
    /// still needs an approval depends on who redeems it (the subject's own token needs none), so it is no state.
    /// </summary>
    public static string StateOf(Verification v, DateTimeOffset now) =>
        v.UsedAt is not null ? "done" : v.ExpiresAt <= now ? "expired" : v.ApprovedAt is not null ? "approved" : "open";

    /// <summary>When a verification was started; for one started before migration 0011, its expiry less the lifetime in force.</summary>
    public static DateTimeOffset StartOf(Verification v, TimeSpan lifetime) => v.CreatedAt ?? v.ExpiresAt - lifetime;
}
