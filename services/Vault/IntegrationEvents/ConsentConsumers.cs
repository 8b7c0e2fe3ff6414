using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

// The consent service's events never allow a read: the vault keeps only the consent service's own answers (ConsentGate).
// A change to a subject takes away what was kept and raises the subject's watermark, so an answer given before the
// change is not kept after it; order and redelivery therefore cannot bring an allowance back.

/// <summary>A grant replaces a kept denial: the next read asks the consent service.</summary>
public sealed class ForgetDecisionOnConsentGranted(VaultDbContext db) : InboxConsumer<ConsentGranted, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<ConsentGranted> context) =>
        ConsentChanges.ForgetAsync(Db, context.Message.SubjectId, context.Message.Purpose, context.Message.GrantedAt, context.CancellationToken);
}

/// <summary>A withdrawal denies the next read for that purpose at once.</summary>
public sealed class ForgetDecisionOnConsentWithdrawn(VaultDbContext db) : InboxConsumer<ConsentWithdrawn, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<ConsentWithdrawn> context) =>
        ConsentChanges.ForgetAsync(Db, context.Message.SubjectId, context.Message.Purpose, context.Message.WithdrawnAt, context.CancellationToken);
}

/// <summary>A separate consent withdrawn denies the next read of that category for the purpose at once.</summary>
public sealed class ForgetDecisionOnSensitiveConsentWithdrawn(VaultDbContext db) : InboxConsumer<SensitiveConsentWithdrawn, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SensitiveConsentWithdrawn> context) =>
        ConsentChanges.ForgetAsync(Db, context.Message.SubjectId, context.Message.Purpose, context.Message.WithdrawnAt, context.CancellationToken);
}

/// <summary>A cancelled account ends every purpose, the essential ones included (INF-6.5): the next read of any asks again.</summary>
public sealed class ForgetDecisionsOnAccountCancelled(VaultDbContext db) : InboxConsumer<AccountCancelled, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<AccountCancelled> context) =>
        ConsentChanges.ForgetAsync(Db, context.Message.SubjectId, null, context.Message.CancelledAt, context.CancellationToken);
}

/// <summary>
/// A new policy version (changed purposes, a raised guardian age) concerns everyone (INF-4.2, IWK-3.1): one update of
/// the epoch makes every decision made under an earlier one unusable, however many subjects there are.
/// </summary>
public sealed class AdvanceEpochOnPolicyVersionPublished(VaultDbContext db) : InboxConsumer<PolicyVersionPublished, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<PolicyVersionPublished> context) =>
        ConsentChanges.AdvanceEpochAsync(Db, context.Message.Sequence, context.CancellationToken);
}

/// <summary>Legal holds block erasure while they last (INF-6.4).</summary>
public sealed class RecordHoldOnLegalHoldPlaced(VaultDbContext db) : InboxConsumer<LegalHoldPlaced, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<LegalHoldPlaced> context)
    {
        var m = context.Message;
        return Db.RecordHoldAsync(m.HoldId, m.SubjectId, m.Category, m.ReasonCode, m.PlacedAt, context.CancellationToken);
    }
}

public sealed class ReleaseHoldOnLegalHoldReleased(VaultDbContext db) : InboxConsumer<LegalHoldReleased, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<LegalHoldReleased> context) =>
        Db.ReleaseHoldAsync(context.Message.HoldId, context.Message.ReleasedAt, context.CancellationToken);
}
