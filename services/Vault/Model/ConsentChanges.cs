namespace PrivacySuite.Vault.Model;

/// <summary>
/// What the vault knows of changes to consent: per subject the newest change heard of (the watermark), and the policy
/// epoch. Writers of either and keepers of the consent service's answers take the subject's lock, so an answer is
/// either kept before a change (and the change forgets it) or judged against it.
/// </summary>
public static class ConsentChanges
{
    // pg_advisory_xact_lock(int, int): this class, then the subject.
    private const int LockClass = 18_001;

    public static Task LockSubjectAsync(VaultDbContext db, string subjectId, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock({LockClass}, hashtext({subjectId}))", ct);

    /// <summary>
    /// A change to the subject's consent at <paramref name="changedAt"/> (the consent service's clock): forgets the kept
    /// decision for <paramref name="purpose"/> (every purpose when null) and raises the watermark. Runs in the caller's
    /// transaction (a consumer's inbox claim).
    /// </summary>
    public static async Task ForgetAsync(VaultDbContext db, string subjectId, string? purpose, DateTimeOffset changedAt, CancellationToken ct)
    {
        await LockSubjectAsync(db, subjectId, ct);
        await db.Database.ExecuteSqlAsync(
            $"""
            insert into consent_changes (subject_id, changed_at) values ({subjectId}, {changedAt})
            on conflict (subject_id) do update set changed_at = greatest(consent_changes.changed_at, excluded.changed_at)
            """, ct);
        await db.ConsentDecisions.Where(d => d.SubjectId == subjectId && (purpose == null || d.Purpose == purpose)).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// A new policy version (changed purposes, a raised guardian age) concerns everyone (INF-4.2, IWK-3.1): one update of
    /// the epoch makes every decision made under an earlier one unusable, however many subjects there are.
    /// </summary>
    public static Task AdvanceEpochAsync(VaultDbContext db, long sequence, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"update consent_epoch set epoch = greatest(epoch, {sequence})", ct);
}
