namespace PrivacySuite.Retention.Model;

/// <summary>
/// What retention records about a subject's data, whoever reports it (the vault's and consent's events, or retention's
/// API): each fact starts or restarts a clock the sweeps read. Every one is idempotent, so a fact reported twice changes nothing.
/// </summary>
public static class RetentionFacts
{
    /// <summary>Registers a subject once; sweeps walk the registered subjects.</summary>
    public static Task EnsureSubjectAsync(this RetentionDbContext db, string subjectId, DateTimeOffset seenAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"insert into retention_subjects (subject_id, first_seen_at) values ({subjectId}, {seenAt}) on conflict (subject_id) do nothing",
            cancellationToken);

    /// <summary>A value was stored: its token joins the inventory, so its schedule can run (a purpose outside the catalogue counts as any).</summary>
    public static async Task RecordStoredAsync(this RetentionDbContext db, string subjectId, DataCategory category, string token, string? purpose,
        DateTimeOffset storedAt, CancellationToken cancellationToken)
    {
        await db.EnsureSubjectAsync(subjectId, storedAt, cancellationToken);
        var code = PurposeCode.TryParse(purpose, out var parsed) ? parsed.Value : RetentionSchedule.AnyPurpose;
        await db.Database.ExecuteSqlAsync(
            $"""
            insert into inventory_items (token, subject_id, category, purpose, stored_at)
            values ({token}, {subjectId}, {category.ToString()}, {code}, {storedAt})
            on conflict (token) do nothing
            """, cancellationToken);
    }

    /// <summary>A value was used: the "last use" clock of its token starts again (never backwards).</summary>
    public static Task RecordUsedAsync(this RetentionDbContext db, string token, DateTimeOffset usedAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"update inventory_items set last_used_at = greatest(coalesce(last_used_at, {usedAt}), {usedAt}) where token = {token}",
            cancellationToken);

    /// <summary>IWK-3.3: a minor's data without verifiable guardian consent goes in the next sweep (the first detection counts).</summary>
    public static async Task MarkMinorAsync(this RetentionDbContext db, string subjectId, DateTimeOffset detectedAt, CancellationToken cancellationToken)
    {
        await db.EnsureSubjectAsync(subjectId, detectedAt, cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"update retention_subjects set minor_detected_at = coalesce(minor_detected_at, {detectedAt}) where subject_id = {subjectId}",
            cancellationToken);
    }

    /// <summary>A purpose was fulfilled: "purpose fulfilled" clocks of the subject's data collected for it start (the latest fulfilment counts).</summary>
    public static Task RecordFulfilmentAsync(this RetentionDbContext db, string subjectId, string purpose, DateTimeOffset fulfilledAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            insert into purpose_fulfilments (subject_id, purpose, fulfilled_at) values ({subjectId}, {purpose}, {fulfilledAt})
            on conflict (subject_id, purpose) do update set fulfilled_at = greatest(purpose_fulfilments.fulfilled_at, excluded.fulfilled_at)
            """, cancellationToken);
}
