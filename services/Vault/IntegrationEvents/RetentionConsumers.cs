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
/// A sweep's removals in one message: each is erased or anonymised as <see cref="EraseOnErasureRequested"/> and
/// <see cref="AnonymiseOnAnonymisationRequested"/> would, and answered on its own, all in the one transaction of the
/// inbox claim, so a redelivered message changes nothing and answers nothing twice.
/// </summary>
public sealed class RemoveOnRemovalsRequested(VaultDbContext db, VaultService vault, Keyring keyring)
    : InboxConsumer<RemovalsRequested, VaultDbContext>(db), IConsumer<RemovalsRequested>
{
    protected override async Task HandleAsync(ConsumeContext<RemovalsRequested> context)
    {
        foreach (var m in context.Message.Removals)
        {
            var category = m.Category is { } c ? VaultService.CategoryName(c) : null;
            if (m.Action == "anonymise")
            {
                await vault.AnonymiseAsync(m.SubjectId, category, m.Tokens, m.Reason, m.SweepItemId, EraseOnErasureRequested.Accessor, context.CancellationToken);
            }
            else if (category is not null)
            {
                await vault.EraseCategoryAsync(m.SubjectId, category, m.Tokens, m.Reason, m.SweepItemId, EraseOnErasureRequested.Accessor, context.CancellationToken);
            }
            else
            {
                await vault.EraseAsync(m.SubjectId, m.Reason, EraseOnErasureRequested.Accessor, context.CancellationToken, m.SweepItemId);
            }
        }
    }

    async Task IConsumer<RemovalsRequested>.Consume(ConsumeContext<RemovalsRequested> context)
    {
        await Consume(context);
        foreach (var subjectId in context.Message.Removals.Select(r => r.SubjectId).Distinct(StringComparer.Ordinal))
        {
            await EraseOnErasureRequested.PruneAsync(Db, keyring, subjectId, context.CancellationToken);
        }
    }
}
