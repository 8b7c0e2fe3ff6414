using MassTransit;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.IntegrationEvents;

/// <summary>Adds a stored value's token to the inventory, so its schedule can run. One per vault write: taken in batches.</summary>
public sealed class RecordInventoryOnSubjectDataStored(RetentionDbContext db) : InboxBatchConsumer<SubjectDataStored, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectDataStored> context)
    {
        var m = context.Message;
        return Db.RecordStoredAsync(m.SubjectId, m.Category, m.Token, m.Purpose, m.StoredAt, context.CancellationToken);
    }
}

/// <summary>Restarts the "last use" clock of a token. One per vault read: taken in batches.</summary>
public sealed class TouchInventoryOnSubjectDataUsed(RetentionDbContext db) : InboxBatchConsumer<SubjectDataUsed, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectDataUsed> context) =>
        Db.RecordUsedAsync(context.Message.Token, context.Message.UsedAt, context.CancellationToken);
}

/// <summary>Starts "purpose fulfilled" clocks for the subject's data collected for that purpose.</summary>
public sealed class RecordFulfilmentOnPurposeFulfilled(RetentionDbContext db) : InboxConsumer<PurposeFulfilled, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<PurposeFulfilled> context) =>
        Db.RecordFulfilmentAsync(context.Message.SubjectId, context.Message.Purpose, context.Message.FulfilledAt, context.CancellationToken);
}

/// <summary>IWK-2.5: starts the one-month clock, and tells the person with their receipt's link; the sweep after it ends removes the subject.</summary>
public sealed class StartCancellationClockOnAccountCancelled(RetentionDbContext db, CancellationReceipts receipts)
    : InboxConsumer<AccountCancelled, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<AccountCancelled> context) =>
        receipts.StartClockAsync(context.Message.SubjectId, context.Message.CancelledAt, context.CancellationToken);
}

/// <summary>IWK-3.3: a minor's data without verifiable guardian consent goes in the next sweep.</summary>
public sealed class MarkMinorOnMinorWithoutGuardianConsentDetected(RetentionDbContext db)
    : InboxConsumer<MinorWithoutGuardianConsentDetected, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<MinorWithoutGuardianConsentDetected> context) =>
        Db.MarkMinorAsync(context.Message.SubjectId, context.Message.DetectedAt, context.CancellationToken);
}
