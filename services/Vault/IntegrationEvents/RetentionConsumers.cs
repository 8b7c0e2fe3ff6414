using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

/// <summary>
/// Erasure asked by retention (IWK-2.5, IWK-3.3, schedules): a whole subject is crypto-shredded, a category's tokens are
/// deleted and the subject re-keyed. A legal hold the vault knows of refuses it. Every request is answered with
/// <see cref="SubjectErased"/> or <see cref="ErasureRefused"/>, carrying the sweep item id, in the same transaction as
/// the inbox claim, so a redelivered request changes nothing and is not answered twice.
/// </summary>
public sealed class EraseOnErasureRequested(VaultDbContext db, VaultService vault) : InboxConsumer<ErasureRequested, VaultDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<ErasureRequested> context)
    {
        var m = context.Message;
        if (m.Category is { } category)
        {
            await vault.EraseCategoryAsync(m.SubjectId, VaultService.CategoryName(category), m.Tokens ?? [], m.Reason, m.SweepItemId, Accessor, context.CancellationToken);
        }
        else
        {
            await vault.EraseAsync(m.SubjectId, m.Reason, Accessor, context.CancellationToken, m.SweepItemId);
        }
    }

    public const string Accessor = "retention";
}

/// <summary>Anonymisation asked by retention: answered with <see cref="SubjectAnonymised"/> or <see cref="ErasureRefused"/>.</summary>
public sealed class AnonymiseOnAnonymisationRequested(VaultDbContext db, VaultService vault)
    : InboxConsumer<AnonymisationRequested, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<AnonymisationRequested> context)
    {
        var m = context.Message;
        return vault.AnonymiseAsync(m.SubjectId, m.Category is { } c ? VaultService.CategoryName(c) : null, m.Tokens, m.Reason, m.SweepItemId,
            EraseOnErasureRequested.Accessor, context.CancellationToken);
    }
}

/// <summary>
/// One request of a retention sweep for many subjects: each subject is erased or anonymised as
/// <see cref="EraseOnErasureRequested"/> and <see cref="AnonymiseOnAnonymisationRequested"/> would (as a whole, or only
/// the listed tokens of the category that are the subject's), and the request is answered once with
/// <see cref="RemovalsAnswered"/> naming the subjects a hold kept, all in the one transaction of the inbox claim, so a
/// redelivered request changes nothing and is not answered twice.
/// </summary>
public sealed class RemoveOnRemovalsRequested(VaultDbContext db, VaultService vault, TimeProvider time)
    : InboxConsumer<RemovalsRequested, VaultDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<RemovalsRequested> context)
    {
        var m = context.Message;
        var (refused, failed, certificates) = await SweepRemovals.RemoveAsync(vault, nameof(RemovalsRequested), m.Action, m.Category, m.Reason, m.RequestId,
            Subjects(m), context.CancellationToken);
        var now = time.GetUtcNow();
        Db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, refused, certificates, now, VaultService.AllRegions, failed), now);
        await Db.SaveChangesAsync(context.CancellationToken);
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
/// category stored before the cut-off are found in one query and removed as <see cref="RemoveOnRemovalsRequested"/>
/// removes a category's tokens; a subject with none is skipped. The request is answered once with
/// <see cref="RemovalsAnswered"/>, in the one transaction of the inbox claim.
/// </summary>
public sealed class RemoveOnExpiredRemovalsRequested(VaultDbContext db, VaultService vault, TimeProvider time)
    : InboxConsumer<ExpiredRemovalsRequested, VaultDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<ExpiredRemovalsRequested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var due = await DueAsync(Db, m, ct);
        var (refused, failed, _) = await SweepRemovals.RemoveAsync(vault, nameof(ExpiredRemovalsRequested), m.Action, m.Category, m.Reason, m.RequestId,
            due.Select(g => (g.Key, (IReadOnlyCollection<string>)[.. g.Select(v => v.Token)])), ct);
        Answer(Db, m, due, refused, failed, time.GetUtcNow());
        await Db.SaveChangesAsync(ct);
    }

    /// <summary>The named subjects' values of the category stored before the cut-off, by subject in a fixed order.</summary>
    internal static async Task<List<IGrouping<string, DueValue>>> DueAsync(VaultDbContext db, ExpiredRemovalsRequested m, CancellationToken ct)
    {
        var category = VaultService.CategoryName(m.Category);
        var ids = m.SubjectIds.Distinct(StringComparer.Ordinal).ToArray();
        // PostgreSQL's timestamptz takes only UTC offsets; the unique index (subject_id, category, field) serves the lookup.
        var storedBefore = m.StoredBefore.ToUniversalTime();
        return (await db.Values.AsNoTracking()
                .Where(v => ids.Contains(v.SubjectId) && v.Category == category && v.StoredAt < storedBefore)
                .Select(v => new DueValue(v.SubjectId, v.Token, v.StoredAt))
                .ToListAsync(ct))
            .GroupBy(v => v.SubjectId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The one answer, and the values of every refused subject announced again: retention took these tokens out of its
    /// inventory when it asked, and putting them back lets the next sweep decide anew (once a hold is released, or after a failure).
    /// </summary>
    internal static void Answer(VaultDbContext db, ExpiredRemovalsRequested m, List<IGrouping<string, DueValue>> due, List<string> refused, List<string> failed,
        DateTimeOffset now)
    {
        foreach (var value in due.Where(g => refused.Contains(g.Key)).SelectMany(g => g))
        {
            db.AddIntegrationEvent(new SubjectDataStored(value.SubjectId, m.Category, value.Token, value.StoredAt), now);
        }

        db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, refused, [], now, VaultService.AllRegions, failed), now);
    }

    internal sealed record DueValue(string SubjectId, string Token, DateTimeOffset StoredAt);
}

/// <summary>What both sweep consumers do for each subject of a request.</summary>
internal static class SweepRemovals
{
    /// <summary>
    /// Each subject, in the given (fixed) order, erased or anonymised as its own request would be, unanswered: the request
    /// is answered once. Each subject runs in a savepoint, so one that fails is undone alone and the others complete.
    /// Returns the subjects refused (a hold, or a failure), those of them that failed, and the certificates of
    /// whole-subject erasures.
    /// </summary>
    public static async Task<(List<string> Refused, List<string> Failed, List<SubjectCertificate> Certificates)> RemoveAsync(VaultService vault,
        string requestType, string action, DataCategory? contractCategory, string reason, Guid requestId,
        IEnumerable<(string SubjectId, IReadOnlyCollection<string> Tokens)> subjects, CancellationToken ct)
    {
        var category = contractCategory is { } c ? VaultService.CategoryName(c) : null;
        var anonymise = action == "anonymise";
        var refused = new List<string>();
        var failed = new List<string>();
        var certificates = new List<SubjectCertificate>();
        foreach (var (subjectId, tokens) in subjects)
        {
            var held = false;
            SubjectCertificate? certificate = null;
            var done = await vault.InSavepointAsync(subjectId, requestId, requestType, async () =>
            {
                if (anonymise)
                {
                    held = !await vault.AnonymiseAsync(subjectId, category, tokens, reason, requestId, EraseOnErasureRequested.Accessor, ct, answer: false);
                    return;
                }

                var result = category is null
                    ? await vault.EraseAsync(subjectId, reason, EraseOnErasureRequested.Accessor, ct, requestId, answer: false)
                    : await vault.EraseCategoryAsync(subjectId, category, tokens, reason, requestId, EraseOnErasureRequested.Accessor, ct, answer: false);
                held = result is VaultService.ErasureResult.Blocked;
                if (result is VaultService.ErasureResult.Erased erased && category is null)
                {
                    certificate = new SubjectCertificate(subjectId, erased.CertificateId);
                }
            }, ct);

            if (!done)
            {
                failed.Add(subjectId);
                refused.Add(subjectId);
            }
            else if (held)
            {
                refused.Add(subjectId);
            }
            else if (certificate is not null)
            {
                certificates.Add(certificate);
            }
        }

        return (refused, failed, certificates);
    }
}
