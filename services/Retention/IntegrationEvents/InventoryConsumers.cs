using MassTransit;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.IntegrationEvents;

/// <summary>Adds a stored value's token to the inventory, so its schedule can run. One per vault write: taken in batches.</summary>
public sealed class RecordInventoryOnSubjectDataStored(RetentionDbContext db) : InboxBatchConsumer<SubjectDataStored, RetentionDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<SubjectDataStored> context)
    {
        var message = context.Message;
        await Db.EnsureSubjectAsync(message.SubjectId, message.StoredAt, context.CancellationToken);
        var purpose = PurposeCode.TryParse(message.Purpose, out var code) ? code.Value : RetentionSchedule.AnyPurpose;
        await Db.Database.ExecuteSqlAsync(
            $"""
            insert into inventory_items (token, subject_id, category, purpose, stored_at)
            values ({message.Token}, {message.SubjectId}, {message.Category.ToString()}, {purpose}, {message.StoredAt})
            on conflict (token) do nothing
            """, context.CancellationToken);
    }
}

/// <summary>Restarts the "last use" clock of a token. One per vault read: taken in batches.</summary>
public sealed class TouchInventoryOnSubjectDataUsed(RetentionDbContext db) : InboxBatchConsumer<SubjectDataUsed, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectDataUsed> context) =>
        Db.Database.ExecuteSqlAsync(
            $"update inventory_items set last_used_at = greatest(coalesce(last_used_at, {context.Message.UsedAt}), {context.Message.UsedAt}) where token = {context.Message.Token}",
            context.CancellationToken);
}

/// <summary>Starts "purpose fulfilled" clocks for the subject's data collected for that purpose.</summary>
public sealed class RecordFulfilmentOnPurposeFulfilled(RetentionDbContext db) : InboxConsumer<PurposeFulfilled, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<PurposeFulfilled> context) =>
        Db.RecordFulfilmentAsync(context.Message.SubjectId, context.Message.Purpose, context.Message.FulfilledAt, context.CancellationToken);
}

/// <summary>IWK-2.5: starts the one-month clock; the sweep after it ends removes the subject.</summary>
public sealed class StartCancellationClockOnAccountCancelled(RetentionDbContext db) : InboxConsumer<AccountCancelled, RetentionDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<AccountCancelled> context)
    {
        var message = context.Message;
        await Db.EnsureSubjectAsync(message.SubjectId, message.CancelledAt, context.CancellationToken);
        await Db.Database.ExecuteSqlAsync(
            $"update retention_subjects set cancelled_at = coalesce(cancelled_at, {message.CancelledAt}) where subject_id = {message.SubjectId}",
            context.CancellationToken);
    }
}

/// <summary>IWK-3.3: a minor's data without verifiable guardian consent goes in the next sweep.</summary>
public sealed class MarkMinorOnMinorWithoutGuardianConsentDetected(RetentionDbContext db)
    : InboxConsumer<MinorWithoutGuardianConsentDetected, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<MinorWithoutGuardianConsentDetected> context) =>
        Db.MarkMinorAsync(context.Message.SubjectId, context.Message.DetectedAt, context.CancellationToken);
}

public static class InventoryWrites
{
    /// <summary>Registers a subject once; sweeps walk the registered subjects.</summary>
    public static Task EnsureSubjectAsync(this RetentionDbContext db, string subjectId, DateTimeOffset seenAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"insert into retention_subjects (subject_id, first_seen_at) values ({subjectId}, {seenAt}) on conflict (subject_id) do nothing",
            cancellationToken);

    public static async Task MarkMinorAsync(this RetentionDbContext db, string subjectId, DateTimeOffset detectedAt, CancellationToken cancellationToken)
    {
        await db.EnsureSubjectAsync(subjectId, detectedAt, cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"update retention_subjects set minor_detected_at = coalesce(minor_detected_at, {detectedAt}) where subject_id = {subjectId}",
            cancellationToken);
    }

    public static Task RecordFulfilmentAsync(this RetentionDbContext db, string subjectId, string purpose, DateTimeOffset fulfilledAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            insert into purpose_fulfilments (subject_id, purpose, fulfilled_at) values ({subjectId}, {purpose}, {fulfilledAt})
            on conflict (subject_id, purpose) do update set fulfilled_at = greatest(purpose_fulfilments.fulfilled_at, excluded.fulfilled_at)
            """, cancellationToken);
}
