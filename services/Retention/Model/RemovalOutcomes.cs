namespace PrivacySuite.Retention.Model;

/// <summary>
/// What retention does when the vault reports a removal: the tokens leave the inventory, the sweep item is done, a
/// refused subject's tokens are put back as they were, and a subject removed as a whole is marked erased and gets a
/// deletion certificate and a notice (IWK-2.5). The one place certificates are issued and refusals undone.
/// </summary>
public sealed class RemovalOutcomes(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options)
{
    /// <summary>
    /// The vault answered one request of a sweep: every subject of it not in <paramref name="refused"/> is done. A
    /// whole-subject removal names each subject's vault certificate in <paramref name="certificates"/> (an anonymisation
    /// has none: retention issues its own id). False when the item is unknown or was answered already.
    /// </summary>
    public async Task<bool> CompleteSweepItemAsync(Guid itemId, string action, IReadOnlyCollection<string> refused,
        IReadOnlyDictionary<string, Guid> certificates, DateTimeOffset answeredAt, IReadOnlyList<Region>? regions, CancellationToken ct)
    {
        var item = await db.SweepItems.SingleOrDefaultAsync(i => i.Id == itemId, ct);
        if (item is null || item.State != SweepItemStates.Requested)
        {
            return false; // answered already, or not a sweep's
        }

        var subjects = (item.Category is null || item.StoredBefore is not null ? item.SubjectIds : item.TokenSubjects).ToHashSet(StringComparer.Ordinal);
        var kept = refused.Where(subjects.Contains).Distinct(StringComparer.Ordinal).ToArray();
        await ReopenAsync(item, kept, ct);
        item.State = kept.Length == subjects.Count ? SweepItemStates.Refused : SweepItemStates.Done;
        item.CompletedAt = answeredAt;
        item.RefusedSubjects = kept;
        if (item.Category is not null)
        {
            return true;
        }

        var removed = item.SubjectIds.Except(kept, StringComparer.Ordinal).ToArray();
        // What the sweep took out of the inventory when it asked, and what is still listed (stored since, or never swept).
        var categories = item.TokenSubjects.Zip(item.TokenCategories).Where(t => removed.Contains(t.First, StringComparer.Ordinal))
            .Select(t => (Subject: t.First, Category: t.Second)).ToList();
        categories.AddRange(await ForgetAsync(removed, answeredAt, ct));
        var now = time.GetUtcNow();
        foreach (var subjectId in removed)
        {
            Certify(subjectId, certificates.GetValueOrDefault(subjectId, Guid.CreateVersion7(answeredAt)), item.Id, action == RetentionActions.Erase, item.Reason,
                [.. categories.Where(c => c.Subject == subjectId).Select(c => c.Category)], answeredAt, regions, now);
        }

        return true;
    }

    /// <summary>
    /// The vault erased a subject (or one <paramref name="category"/> of it) on the subject's own request, not a sweep's:
    /// its tokens leave the inventory; a whole subject is marked erased and certified once.
    /// </summary>
    public async Task CompleteSubjectErasureAsync(string subjectId, DataCategory? category, Guid certificateId, DateTimeOffset erasedAt,
        IReadOnlyList<Region>? regions, CancellationToken ct)
    {
        if (category is not null)
        {
            await db.Inventory.Where(i => i.SubjectId == subjectId && i.Category == category).ExecuteDeleteAsync(ct);
            return;
        }

        var categories = await ForgetAsync([subjectId], erasedAt, ct);
        if (await db.DeletionCertificates.AnyAsync(c => c.Id == certificateId, ct))
        {
            return; // certified already
        }

        Certify(subjectId, certificateId, null, erased: true, "subject-request", [.. categories.Select(c => c.Category)], erasedAt, regions, time.GetUtcNow());
    }

    /// <summary>
    /// The refused subjects' tokens, which the sweep took out of the inventory when it asked, back as they were, so the
    /// next sweep decides anew (INF-6.4). An item that named a schedule kept no tokens: the vault announces a refused
    /// subject's values again instead.
    /// </summary>
    private async Task ReopenAsync(SweepItem item, string[] refused, CancellationToken ct)
    {
        if (refused.Length == 0 || item.StoredBefore is not null)
        {
            return;
        }

        await db.Database.ExecuteSqlAsync(
            $"""
            insert into inventory_items (token, subject_id, category, purpose, stored_at, last_used_at)
            select u.token, u.subject_id, coalesce(u.category, i.category), u.purpose, u.stored_at, u.last_used_at
            from sweep_items i,
                 unnest(i.tokens, i.token_subjects, i.token_categories, i.purposes, i.stored_at, i.last_used_at)
                     as u(token, subject_id, category, purpose, stored_at, last_used_at)
            where i.id = {item.Id} and u.subject_id = any({refused})
            on conflict (token) do nothing
            """, ct);
        await db.Database.ExecuteSqlAsync(
            $"update retention_subjects set erasure_item_id = null where erasure_item_id = {item.Id} and subject_id = any({refused})", ct);
    }

    /// <summary>Subjects removed as a whole: what is still listed goes, and each is marked erased. Returns the categories of what was listed.</summary>
    private async Task<List<(string Subject, string Category)>> ForgetAsync(string[] subjectIds, DateTimeOffset erasedAt, CancellationToken ct)
    {
        var listed = (await db.Inventory.Where(i => subjectIds.Contains(i.SubjectId)).Select(i => new { i.SubjectId, i.Category }).ToListAsync(ct))
            .Select(i => (Subject: i.SubjectId, Category: i.Category.ToString())).ToList();
        await db.Inventory.Where(i => subjectIds.Contains(i.SubjectId)).ExecuteDeleteAsync(ct);
        await db.Subjects.Where(s => subjectIds.Contains(s.SubjectId)).ExecuteUpdateAsync(
            s => s.SetProperty(x => x.ErasedAt, erasedAt).SetProperty(x => x.ErasureItemId, (Guid?)null), ct);
        return listed;
    }

    /// <summary>A subject's deletion certificate (what, when, which regions) and the notice that tells the subject (IWK-2.5).</summary>
    private void Certify(string subjectId, Guid certificateId, Guid? sweepItemId, bool erased, string reason, List<string> categories,
        DateTimeOffset completedAt, IReadOnlyList<Region>? regions, DateTimeOffset now)
    {
        var settings = options.Value;
        var certificate = new DeletionCertificate
        {
            Id = certificateId,
            SubjectId = subjectId,
            SweepItemId = sweepItemId,
            Outcome = erased ? "erased" : "anonymised",
            Reason = reason,
            Categories = categories.Distinct().Order(StringComparer.Ordinal).ToArray(),
            TokenCount = categories.Count,
            CompletedAt = completedAt,
            Regions = (regions is { Count: > 0 } ? regions : settings.Regions).Select(r => r.ToString()).ToArray(),
            IssuedAt = now,
        };
        db.DeletionCertificates.Add(certificate);
        db.AddIntegrationEvent(new NoticeRequested(Guid.CreateVersion7(now), NoticeTypes.DeletionCertificate, subjectId,
            NoticeVariables.DeletionCertificate(certificate.Id, certificate.CompletedAt, erased, certificate.Categories, certificate.Regions,
                new Uri(settings.CertificateBaseUrl, certificate.Id.ToString())),
            now), now);
    }
}
