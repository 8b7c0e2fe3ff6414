using MassTransit;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.IntegrationEvents;

/// <summary>
/// The vault erased what a sweep asked for (or a subject on its own request): the tokens leave the inventory, the
/// sweep item is done, and a whole-subject removal earns the subject a deletion certificate and a notice (IWK-2.5).
/// </summary>
public sealed class CompleteErasureOnSubjectErased(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options)
    : InboxConsumer<SubjectErased, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectErased> context)
    {
        var m = context.Message;
        return Outcomes.CompleteAsync(Db, time, options.Value, m.SubjectId, m.Category, m.SweepItemId, m.DeletionCertificateId,
            "erased", m.ErasedAt, m.Regions, context.CancellationToken);
    }
}

/// <summary>The vault anonymised what a sweep asked for; as for an erasure, with an anonymisation certificate.</summary>
public sealed class CompleteAnonymisationOnSubjectAnonymised(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options)
    : InboxConsumer<SubjectAnonymised, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectAnonymised> context)
    {
        var m = context.Message;
        return Outcomes.CompleteAsync(Db, time, options.Value, m.SubjectId, m.Category, m.SweepItemId, Guid.CreateVersion7(m.AnonymisedAt),
            "anonymised", m.AnonymisedAt, m.Regions, context.CancellationToken);
    }
}

/// <summary>The vault refused (a hold it knows of): the tokens are active again and the next sweep decides anew.</summary>
public sealed class ReopenOnErasureRefused(RetentionDbContext db, TimeProvider time) : InboxConsumer<ErasureRefused, RetentionDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<ErasureRefused> context)
    {
        if (context.Message.SweepItemId is not { } itemId)
        {
            return;
        }

        var item = await Db.SweepItems.SingleOrDefaultAsync(i => i.Id == itemId, context.CancellationToken);
        if (item is null || item.State != SweepItemStates.Requested)
        {
            return;
        }

        item.State = SweepItemStates.Refused;
        item.CompletedAt = time.GetUtcNow();
        // The sweep took the tokens out of the inventory when it asked: they are back as they were.
        await Db.Database.ExecuteSqlAsync(
            $"""
            insert into inventory_items (token, subject_id, category, purpose, stored_at, last_used_at)
            select u.token, i.subject_id, u.category, u.purpose, u.stored_at, u.last_used_at
            from sweep_items i, unnest(i.swept) u
            where i.id = {itemId}
            on conflict (token) do nothing
            """, context.CancellationToken);
        await Db.Database.ExecuteSqlAsync(
            $"update inventory_items set state = 'active', sweep_item_id = null where sweep_item_id = {itemId}", context.CancellationToken);
        await Db.Database.ExecuteSqlAsync(
            $"update retention_subjects set erasure_item_id = null where erasure_item_id = {itemId}", context.CancellationToken);
    }
}

/// <summary>
/// The vault answered one request of a sweep: every subject of it not refused is done. A refused subject's tokens are
/// back in the inventory as they were, so the next sweep decides anew (INF-6.4); a subject removed as a whole is marked
/// erased and gets a deletion certificate (what, when, which regions) and a notice (IWK-2.5).
/// </summary>
public sealed class CompleteOnRemovalsAnswered(RetentionDbContext db, TimeProvider time, IOptions<RetentionOptions> options)
    : InboxConsumer<RemovalsAnswered, RetentionDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<RemovalsAnswered> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var item = await Db.SweepItems.SingleOrDefaultAsync(i => i.Id == m.RequestId, ct);
        if (item is null || item.State != SweepItemStates.Requested)
        {
            return; // answered already, or not a sweep's
        }

        var subjects = (item.Category is null || item.StoredBefore is not null ? item.SubjectIds : item.TokenSubjects).ToHashSet(StringComparer.Ordinal);
        var refused = m.Refused.Where(subjects.Contains).Distinct(StringComparer.Ordinal).ToArray();
        // An item that named a schedule kept no tokens: the vault announces a refused subject's values again instead.
        if (refused.Length > 0 && item.StoredBefore is null)
        {
            // The sweep took the tokens out of the inventory when it asked: the refused subjects' are back as they were.
            await Db.Database.ExecuteSqlAsync(
                $"""
                insert into inventory_items (token, subject_id, category, purpose, stored_at, last_used_at)
                select u.token, u.subject_id, coalesce(u.category, i.category), u.purpose, u.stored_at, u.last_used_at
                from sweep_items i,
                     unnest(i.tokens, i.token_subjects, i.token_categories, i.purposes, i.stored_at, i.last_used_at)
                         as u(token, subject_id, category, purpose, stored_at, last_used_at)
                where i.id = {item.Id} and u.subject_id = any({refused})
                on conflict (token) do nothing
                """, ct);
            await Db.Database.ExecuteSqlAsync(
                $"update retention_subjects set erasure_item_id = null where erasure_item_id = {item.Id} and subject_id = any({refused})", ct);
        }

        item.State = refused.Length == subjects.Count ? SweepItemStates.Refused : SweepItemStates.Done;
        item.CompletedAt = m.AnsweredAt;
        item.RefusedSubjects = refused;
        if (item.Category is null)
        {
            var removed = item.SubjectIds.Except(refused, StringComparer.Ordinal).ToArray();
            await CertifyAsync(item, removed, m, ct);
        }
    }

    /// <summary>Subjects removed as a whole: what is still listed goes too, and each gets a certificate and a notice.</summary>
    private async Task CertifyAsync(SweepItem item, string[] removed, RemovalsAnswered m, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var erased = m.Action == RetentionActions.Erase;
        // What the sweep took out of the inventory when it asked, and what is still listed (stored since, or never swept).
        var categories = item.TokenSubjects.Zip(item.TokenCategories).Where(t => removed.Contains(t.First, StringComparer.Ordinal))
            .Select(t => (Subject: t.First, Category: t.Second)).ToList();
        categories.AddRange((await Db.Inventory.Where(i => removed.Contains(i.SubjectId)).Select(i => new { i.SubjectId, i.Category }).ToListAsync(ct))
            .Select(i => (Subject: i.SubjectId, Category: i.Category.ToString())));
        await Db.Inventory.Where(i => removed.Contains(i.SubjectId)).ExecuteDeleteAsync(ct);
        await Db.Subjects.Where(s => removed.Contains(s.SubjectId)).ExecuteUpdateAsync(
            s => s.SetProperty(x => x.ErasedAt, m.AnsweredAt).SetProperty(x => x.ErasureItemId, (Guid?)null), ct);

        var vaultCertificates = m.Certificates.ToDictionary(c => c.SubjectId, c => c.DeletionCertificateId, StringComparer.Ordinal);
        var regions = (m.Regions is { Count: > 0 } ? m.Regions : settings.Regions).Select(r => r.ToString()).ToArray();
        foreach (var subjectId in removed)
        {
            var certificateId = vaultCertificates.GetValueOrDefault(subjectId, Guid.CreateVersion7(m.AnsweredAt));
            var mine = categories.Where(c => c.Subject == subjectId).Select(c => c.Category).ToList();
            var certificate = new DeletionCertificate
            {
                Id = certificateId,
                SubjectId = subjectId,
                SweepItemId = item.Id,
                Outcome = erased ? "erased" : "anonymised",
                Reason = item.Reason,
                Categories = mine.Distinct().Order(StringComparer.Ordinal).ToArray(),
                TokenCount = mine.Count,
                CompletedAt = m.AnsweredAt,
                Regions = regions,
                IssuedAt = now,
            };
            Db.DeletionCertificates.Add(certificate);
            Db.AddIntegrationEvent(new NoticeRequested(Guid.CreateVersion7(now), NoticeTypes.DeletionCertificate, subjectId,
                NoticeVariables.DeletionCertificate(certificate.Id, certificate.CompletedAt, erased, certificate.Categories, certificate.Regions,
                    new Uri(settings.CertificateBaseUrl, certificate.Id.ToString())),
                now), now);
        }
    }
}

internal static class Outcomes
{
    public static async Task CompleteAsync(
        RetentionDbContext db, TimeProvider time, RetentionOptions options, string subjectId, DataCategory? category, Guid? sweepItemId,
        Guid certificateId, string outcome, DateTimeOffset completedAt, IReadOnlyList<Region>? regions, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var item = sweepItemId is { } id ? await db.SweepItems.SingleOrDefaultAsync(i => i.Id == id, cancellationToken) : null;
        if (item is { State: not SweepItemStates.Requested })
        {
            return; // answered already
        }

        var wholeSubject = item is null ? category is null : item.Category is null;
        // What the sweep took out of the inventory when it asked, and what is still listed (stored since, or never swept).
        var removed = wholeSubject
            ? await db.Inventory.Where(i => i.SubjectId == subjectId).Select(i => i.Category).ToListAsync(cancellationToken)
            : item is not null
                ? await db.Inventory.Where(i => i.SweepItemId == item.Id).Select(i => i.Category).ToListAsync(cancellationToken)
                : await db.Inventory.Where(i => i.SubjectId == subjectId && i.Category == category).Select(i => i.Category).ToListAsync(cancellationToken);
        if (item is not null)
        {
            removed.AddRange((await db.Database.SqlQuery<string>($"select u.category as \"Value\" from sweep_items i, unnest(i.swept) u where i.id = {item.Id}")
                .ToListAsync(cancellationToken)).Select(Enum.Parse<DataCategory>));
        }

        if (wholeSubject)
        {
            await db.Inventory.Where(i => i.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
            await db.Subjects.Where(s => s.SubjectId == subjectId).ExecuteUpdateAsync(
                s => s.SetProperty(x => x.ErasedAt, completedAt).SetProperty(x => x.ErasureItemId, (Guid?)null), cancellationToken);
        }
        else if (item is not null)
        {
            await db.Inventory.Where(i => i.SweepItemId == item.Id).ExecuteDeleteAsync(cancellationToken);
        }
        else
        {
            await db.Inventory.Where(i => i.SubjectId == subjectId && i.Category == category).ExecuteDeleteAsync(cancellationToken);
        }

        if (item is not null)
        {
            item.State = SweepItemStates.Done;
            item.CompletedAt = completedAt;
            item.CertificateId = wholeSubject ? certificateId : null;
        }

        if (!wholeSubject)
        {
            return;
        }

        var certificate = new DeletionCertificate
        {
            Id = certificateId,
            SubjectId = subjectId,
            SweepItemId = item?.Id,
            Outcome = outcome,
            Reason = item?.Reason ?? "subject-request",
            Categories = removed.Distinct().Order().Select(c => c.ToString()).ToArray(),
            TokenCount = removed.Count,
            CompletedAt = completedAt,
            Regions = (regions is { Count: > 0 } ? regions : options.Regions).Select(r => r.ToString()).ToArray(),
            IssuedAt = now,
        };
        if (await db.DeletionCertificates.AnyAsync(c => c.Id == certificateId, cancellationToken))
        {
            return;
        }

        db.DeletionCertificates.Add(certificate);
        db.AddIntegrationEvent(new NoticeRequested(Guid.CreateVersion7(now), NoticeTypes.DeletionCertificate, subjectId,
            NoticeVariables.DeletionCertificate(certificate.Id, certificate.CompletedAt, outcome == "erased", certificate.Categories, certificate.Regions, new Uri(options.CertificateBaseUrl, certificate.Id.ToString())),
            now), now);
    }
}
