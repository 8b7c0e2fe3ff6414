namespace PrivacySuite.Vault.Model;

/// <summary>
/// The legal holds retention placed, as the vault keeps them: while one stands, erasure and anonymisation of what it
/// covers are refused (INF-6.4). Both are idempotent, so a hold heard of twice changes nothing.
/// </summary>
public static class LegalHoldRecords
{
    public static Task RecordHoldAsync(this VaultDbContext db, Guid holdId, string? subjectId, DataCategory? category, string reasonCode,
        DateTimeOffset placedAt, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync(
            $"""
            insert into legal_holds (hold_id, subject_id, category, reason_code, placed_at)
            values ({holdId}, {subjectId}, {(category is { } c ? VaultService.CategoryName(c) : null)}, {reasonCode}, {placedAt})
            on conflict (hold_id) do nothing
            """, ct);

    public static Task ReleaseHoldAsync(this VaultDbContext db, Guid holdId, DateTimeOffset releasedAt, CancellationToken ct) =>
        db.LegalHolds.Where(h => h.HoldId == holdId).ExecuteUpdateAsync(s => s.SetProperty(h => h.ReleasedAt, releasedAt), ct);
}
