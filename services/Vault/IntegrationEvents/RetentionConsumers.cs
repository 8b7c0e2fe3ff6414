using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

/// <summary>
/// One request of a retention sweep for many subjects: each subject is erased or anonymised (as a whole, or only the
/// listed tokens of the category that are the subject's), and the request is answered once with
/// <see cref="RemovalsAnswered"/> naming the subjects a hold kept, all in the one transaction of the inbox claim, so a
/// redelivered request changes nothing and is not answered twice.
/// </summary>
public sealed class RemoveOnRemovalsRequested(VaultDbContext db, VaultService vault, TimeProvider time)
    : InboxConsumer<RemovalsRequested, VaultDbContext>(db)
{
    /// <summary>Who the access log names for what retention asks.</summary>
    public const string Accessor = "retention";

    protected override async Task HandleAsync(ConsumeContext<RemovalsRequested> context)
    {
        var m = context.Message;
        var done = await vault.RemoveAsync(nameof(RemovalsRequested), m.Action == RemovalActions.Anonymise, m.Category, m.Reason, m.RequestId, Accessor,
            Subjects(m), context.CancellationToken);
        var now = time.GetUtcNow();
        Db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, done.Refused, done.Certificates, now, VaultService.AllRegions, done.Failed), now);
    }

    /// <summary>
    /// Each subject of the request, in a fixed order, with its tokens: every listed subject for a whole-subject request,
    /// else the owners of the tokens. A category request never names a subject without a token: an empty list would
    /// mean the whole category.
    /// </summary>
    internal static IEnumerable<(string SubjectId, IReadOnlyCollection<string> Tokens)> Subjects(RemovalsRequested m)
    {
        var bySubject = m.Tokens.Zip(m.TokenSubjects).GroupBy(t => t.Second, t => t.First, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyCollection<string>)g.ToList(), StringComparer.Ordinal);
        var subjects = m.Category is null ? m.SubjectIds.Distinct(StringComparer.Ordinal) : bySubject.Keys;
        return subjects.Order(StringComparer.Ordinal).Select(s => (s, bySubject.GetValueOrDefault(s) ?? (IReadOnlyCollection<string>)[]));
    }
}

/// <summary>
/// One request of a retention sweep that names a schedule instead of tokens: for each named subject, its values of the
/// category stored before the cut-off are removed as <see cref="RemoveOnRemovalsRequested"/> removes a category's tokens;
/// a subject with none is skipped. The request is answered once with <see cref="RemovalsAnswered"/>, in the one
/// transaction of the inbox claim.
/// </summary>
public sealed class RemoveOnExpiredRemovalsRequested(VaultDbContext db, VaultService vault, TimeProvider time)
    : InboxConsumer<ExpiredRemovalsRequested, VaultDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<ExpiredRemovalsRequested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var due = await vault.DueValuesAsync(m.Category, m.StoredBefore, m.SubjectIds, ct);
        var done = await vault.RemoveAsync(nameof(ExpiredRemovalsRequested), m.Action == RemovalActions.Anonymise, m.Category, m.Reason, m.RequestId,
            RemoveOnRemovalsRequested.Accessor, due.Select(g => (g.Key, (IReadOnlyCollection<string>)[.. g.Select(v => v.Token)])), ct);
        Answer(Db, m, due, done.Refused, done.Failed, time.GetUtcNow());
    }

    /// <summary>
    /// The one answer, and the values of every refused subject announced again: retention took these tokens out of its
    /// inventory when it asked, and putting them back lets the next sweep decide anew (once a hold is released, or after a failure).
    /// </summary>
    internal static void Answer(VaultDbContext db, ExpiredRemovalsRequested m, List<IGrouping<string, VaultService.DueValue>> due, List<string> refused,
        List<string> failed, DateTimeOffset now)
    {
        foreach (var value in due.Where(g => refused.Contains(g.Key)).SelectMany(g => g))
        {
            db.AddIntegrationEvent(new SubjectDataStored(value.SubjectId, m.Category, value.Token, value.StoredAt), now);
        }

        db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, refused, [], now, VaultService.AllRegions, failed), now);
    }
}

/// <summary>The actions a removal request names.</summary>
internal static class RemovalActions
{
    public const string Anonymise = "anonymise";
}
