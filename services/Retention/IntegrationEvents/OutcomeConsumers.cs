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
