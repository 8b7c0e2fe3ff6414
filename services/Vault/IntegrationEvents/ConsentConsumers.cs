using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

/// <summary>Keeps the local consent decision for (subject, purpose) in step with the consent service's grants.</summary>
public sealed class RecordConsentOnConsentGranted(VaultDbContext db) : InboxConsumer<ConsentGranted, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<ConsentGranted> context) =>
        Upsert(Db, context.Message.SubjectId, context.Message.Purpose, true, context.Message.PolicyVersion, context.Message.GrantedAt, context.CancellationToken);

    internal static Task Upsert(VaultDbContext db, string subjectId, string purpose, bool allowed, string? policyVersion, DateTimeOffset at, CancellationToken ct) =>
        // An older event never overrides a newer one (redelivery after retries can reorder them).
        db.Database.ExecuteSqlAsync(
            $"""
            insert into consent_decisions (subject_id, purpose, allowed, policy_version, origin, decided_at)
            values ({subjectId}, {purpose}, {allowed}, {policyVersion}, 'event', {at})
            on conflict (subject_id, purpose) do update
              set allowed = excluded.allowed, policy_version = excluded.policy_version, origin = 'event', decided_at = excluded.decided_at
              where consent_decisions.origin = 'check' or consent_decisions.decided_at <= excluded.decided_at
            """, ct);
}

/// <summary>A withdrawal denies the next read for that purpose at once.</summary>
public sealed class RecordDenialOnConsentWithdrawn(VaultDbContext db) : InboxConsumer<ConsentWithdrawn, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<ConsentWithdrawn> context) =>
        RecordConsentOnConsentGranted.Upsert(Db, context.Message.SubjectId, context.Message.Purpose, false, null, context.Message.WithdrawnAt, context.CancellationToken);
}

/// <summary>A changed purpose needs new consent (INF-4.2): forget what was known, so the next read asks the consent service.</summary>
public sealed class ForgetDecisionsOnPolicyVersionPublished(VaultDbContext db) : InboxConsumer<PolicyVersionPublished, VaultDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<PolicyVersionPublished> context)
    {
        var purposes = context.Message.ChangedPurposes.ToList();
        await Db.ConsentDecisions.Where(d => purposes.Contains(d.Purpose)).ExecuteDeleteAsync(context.CancellationToken);
    }
}

/// <summary>Legal holds block erasure while they last (INF-6.4).</summary>
public sealed class RecordHoldOnLegalHoldPlaced(VaultDbContext db) : InboxConsumer<LegalHoldPlaced, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<LegalHoldPlaced> context)
    {
        var m = context.Message;
        return Db.Database.ExecuteSqlAsync(
            $"""
            insert into legal_holds (hold_id, subject_id, category, reason_code, placed_at)
            values ({m.HoldId}, {m.SubjectId}, {m.Category?.ToString().ToLowerInvariant()}, {m.ReasonCode}, {m.PlacedAt})
            on conflict (hold_id) do nothing
            """, context.CancellationToken);
    }
}

public sealed class ReleaseHoldOnLegalHoldReleased(VaultDbContext db) : InboxConsumer<LegalHoldReleased, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<LegalHoldReleased> context) =>
        Db.LegalHolds.Where(h => h.HoldId == context.Message.HoldId)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.ReleasedAt, context.Message.ReleasedAt), context.CancellationToken);
}
