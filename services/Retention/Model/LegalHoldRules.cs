namespace PrivacySuite.Retention.Model;

/// <summary>Legal holds (INF-2.2): placing and releasing one, each audited and announced to the vault.</summary>
public static class LegalHoldRules
{
    /// <summary>
    /// The active holds that keep a subject's data, as the sweep and the vault decide: one on the subject as a whole, or
    /// on a category (theirs or everyone's) of which the subject has data. Oldest first.
    /// </summary>
    public static async Task<List<LegalHold>> HoldsKeepingAsync(this RetentionDbContext db, string subjectId, CancellationToken cancellationToken)
    {
        var categories = await db.Inventory.Where(i => i.SubjectId == subjectId).Select(i => i.Category).Distinct().ToListAsync(cancellationToken);
        return await db.LegalHolds.AsNoTracking()
            .Where(h => h.ReleasedAt == null &&
                        ((h.SubjectId == subjectId && h.Category == null) ||
                         ((h.SubjectId == subjectId || h.SubjectId == null) && h.Category != null && categories.Contains(h.Category.Value))))
            .OrderBy(h => h.PlacedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Places a hold on a subject, a category, or a subject's category, until it is released.</summary>
    public static async Task<Outcome<(LegalHold Hold, LegalHoldAuditEntry Audit)>> PlaceHoldAsync(this RetentionDbContext db, string? subjectId,
        DataCategory? category, string reasonCode, string reference, DateTimeOffset reviewAt, string placedBy, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (subjectId is null && category is null)
        {
            return new Refusal(400, "Name a subjectId, a category, or both.", Title: "Nothing to hold");
        }

        if (reviewAt <= now)
        {
            return new Refusal(422, "A hold needs a review date in the future.", Title: "Review date in the past");
        }

        var hold = new LegalHold
        {
            Id = Guid.CreateVersion7(now),
            SubjectId = subjectId,
            Category = category,
            ReasonCode = reasonCode,
            PlacedBy = placedBy,
            Reference = reference,
            ReviewAt = reviewAt,
            PlacedAt = now,
        };
        var audit = new LegalHoldAuditEntry { HoldId = hold.Id, Action = "placed", Actor = placedBy, At = now };
        db.LegalHolds.Add(hold);
        db.LegalHoldAudit.Add(audit);
        db.AddIntegrationEvent(new LegalHoldPlaced(hold.Id, hold.SubjectId, hold.Category, hold.ReasonCode, now), now);
        await db.SaveChangesAsync(cancellationToken);
        return new Outcome<(LegalHold, LegalHoldAuditEntry)>.Done((hold, audit));
    }

    /// <summary>Releases a hold; the data is erasable again once no other hold stands. A hold is released once.</summary>
    public static async Task<Outcome<LegalHold>> ReleaseHoldAsync(this RetentionDbContext db, Guid holdId, string? note, string releasedBy, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var hold = await db.LegalHolds.FromSql($"select * from legal_holds where id = {holdId} for update").SingleOrDefaultAsync(cancellationToken);
        if (hold is null)
        {
            return new Refusal(404, "No legal hold has this id.", Title: "No such hold");
        }

        if (hold.ReleasedAt is not null)
        {
            return new Refusal(409, "This hold was released before; place a new hold to protect the data again.", Title: "Already released");
        }

        hold.ReleasedAt = now;
        hold.ReleasedBy = releasedBy;
        db.LegalHoldAudit.Add(new LegalHoldAuditEntry { HoldId = hold.Id, Action = "released", Actor = releasedBy, At = now, Note = note });
        db.AddIntegrationEvent(new LegalHoldReleased(hold.Id, now, hold.SubjectId, hold.Category), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new Outcome<LegalHold>.Done(hold);
    }
}
