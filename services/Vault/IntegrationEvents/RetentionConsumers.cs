using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

/// <summary>
/// Erasure asked by retention (IWK-2.5, IWK-3.3, schedules): a whole subject is crypto-shredded, a category's tokens are
/// deleted and the subject re-keyed. A legal hold the vault knows of refuses it. Every request is answered with
/// <see cref="SubjectErased"/> or <see cref="ErasureRefused"/>, carrying the sweep item id, in the same transaction as
/// the inbox claim, so a redelivered request changes nothing and is not answered twice.
/// </summary>
public sealed class EraseOnErasureRequested(VaultDbContext db, VaultService vault, Keyring keyring) : InboxConsumer<ErasureRequested, VaultDbContext>(db), IConsumer<ErasureRequested>
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

    async Task IConsumer<ErasureRequested>.Consume(ConsumeContext<ErasureRequested> context)
    {
        await Consume(context);
        // The key files of the generation a category erasure replaced go only once the new one is committed.
        await PruneAsync(Db, keyring, context.Message.SubjectId, context.CancellationToken);
    }

    public const string Accessor = "retention";

    internal static async Task PruneAsync(VaultDbContext db, Keyring keyring, string subjectId, CancellationToken ct)
    {
        var generation = await db.Subjects.AsNoTracking().Where(s => s.SubjectId == subjectId && s.ErasedAt == null)
            .Select(s => (int?)s.KeyGeneration).SingleOrDefaultAsync(ct);
        if (generation is { } current)
        {
            keyring.PruneOlderKeys(subjectId, current);
        }
    }
}

/// <summary>Anonymisation asked by retention: answered with <see cref="SubjectAnonymised"/> or <see cref="ErasureRefused"/>.</summary>
public sealed class AnonymiseOnAnonymisationRequested(VaultDbContext db, VaultService vault, Keyring keyring)
    : InboxConsumer<AnonymisationRequested, VaultDbContext>(db), IConsumer<AnonymisationRequested>
{
    protected override Task HandleAsync(ConsumeContext<AnonymisationRequested> context)
    {
        var m = context.Message;
        return vault.AnonymiseAsync(m.SubjectId, m.Category is { } c ? VaultService.CategoryName(c) : null, m.Tokens, m.Reason, m.SweepItemId,
            EraseOnErasureRequested.Accessor, context.CancellationToken);
    }

    async Task IConsumer<AnonymisationRequested>.Consume(ConsumeContext<AnonymisationRequested> context)
    {
        await Consume(context);
        await EraseOnErasureRequested.PruneAsync(Db, keyring, context.Message.SubjectId, context.CancellationToken);
    }
}

/// <summary>
/// One request of a retention sweep for many subjects: each subject is erased or anonymised as
/// <see cref="EraseOnErasureRequested"/> and <see cref="AnonymiseOnAnonymisationRequested"/> would (as a whole, or only
/// the listed tokens of the category that are the subject's), and the request is answered once with
/// <see cref="RemovalsAnswered"/> naming the subjects a hold kept, all in the one transaction of the inbox claim, so a
/// redelivered request changes nothing and is not answered twice.
/// </summary>
public sealed class RemoveOnRemovalsRequested(VaultDbContext db, VaultService vault, Keyring keyring, TimeProvider time)
    : InboxConsumer<RemovalsRequested, VaultDbContext>(db), IConsumer<RemovalsRequested>
{
    protected override async Task HandleAsync(ConsumeContext<RemovalsRequested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var category = m.Category is { } c ? VaultService.CategoryName(c) : null;
        var anonymise = m.Action == "anonymise";
        var refused = new List<string>();
        var certificates = new List<SubjectCertificate>();
        foreach (var (subjectId, tokens) in Subjects(m))
        {
            if (anonymise)
            {
                if (!await vault.AnonymiseAsync(subjectId, category, tokens, m.Reason, m.RequestId, EraseOnErasureRequested.Accessor, ct, answer: false))
                {
                    refused.Add(subjectId);
                }

                continue;
            }

            var result = category is null
                ? await vault.EraseAsync(subjectId, m.Reason, EraseOnErasureRequested.Accessor, ct, m.RequestId, answer: false)
                : await vault.EraseCategoryAsync(subjectId, category, tokens, m.Reason, m.RequestId, EraseOnErasureRequested.Accessor, ct, answer: false);
            switch (result)
            {
                case VaultService.ErasureResult.Blocked:
                    refused.Add(subjectId);
                    break;
                case VaultService.ErasureResult.Erased erased when category is null:
                    certificates.Add(new SubjectCertificate(subjectId, erased.CertificateId));
                    break;
            }
        }

        var now = time.GetUtcNow();
        Db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, refused, certificates, now, VaultService.AllRegions), now);
        await Db.SaveChangesAsync(ct);
    }

    async Task IConsumer<RemovalsRequested>.Consume(ConsumeContext<RemovalsRequested> context)
    {
        await Consume(context);
        foreach (var (subjectId, _) in Subjects(context.Message))
        {
            await EraseOnErasureRequested.PruneAsync(Db, keyring, subjectId, context.CancellationToken);
        }
    }

    /// <summary>
    /// Each subject of the request, in a fixed order, with its tokens: every listed subject for a whole-subject request,
    /// else the owners of the tokens. A category request never names a subject without a token: an empty list would
    /// mean the whole category.
    /// </summary>
    private static IEnumerable<(string SubjectId, IReadOnlyCollection<string> Tokens)> Subjects(RemovalsRequested m)
    {
        var bySubject = m.Tokens.Zip(m.TokenSubjects).GroupBy(t => t.Second, t => t.First, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyCollection<string>)g.ToList(), StringComparer.Ordinal);
        var subjects = m.Category is null ? m.SubjectIds.Distinct(StringComparer.Ordinal) : bySubject.Keys;
        return subjects.Order(StringComparer.Ordinal).Select(s => (s, bySubject.GetValueOrDefault(s) ?? (IReadOnlyCollection<string>)[]));
    }
}
