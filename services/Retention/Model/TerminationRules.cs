namespace PrivacySuite.Retention.Model;

/// <summary>The end of the service (IWK-2.6): announced once, with notice runs for the announcement and each reminder.</summary>
public static class TerminationRules
{
    /// <summary>Reminders before the end date, in days, when the announcement names none.</summary>
    public static readonly IReadOnlyList<int> DefaultReminderDays = [14, 7, 1];

    /// <summary>
    /// Announces that the service ends at <paramref name="endsAt"/>, no sooner than <paramref name="minimumNoticeDays"/>
    /// from now; each reminder is a whole number of days before the end, at least 1, and after today.
    /// </summary>
    public static async Task<Outcome<TerminationPlan>> AnnounceTerminationAsync(this RetentionDbContext db, DateTimeOffset endsAt, string action,
        IReadOnlyCollection<int>? reminderDaysBefore, int minimumNoticeDays, string announcedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (endsAt < now.AddDays(minimumNoticeDays))
        {
            return new Refusal(422, $"The service can end no sooner than {minimumNoticeDays} days after the announcement (IWK-2.6).", Title: "End date too soon");
        }

        var reminders = (reminderDaysBefore ?? DefaultReminderDays).Distinct().OrderDescending().ToArray();
        if (reminders.Any(d => d < 1 || d >= (endsAt - now).TotalDays))
        {
            return new Refusal(400, "Each reminder is a whole number of days before the end date, at least 1, and after today.", Title: "Invalid reminders");
        }

        var plan = new TerminationPlan
        {
            Id = Guid.CreateVersion7(now),
            EndsAt = endsAt,
            Action = action,
            ReminderDays = reminders,
            AnnouncedBy = announcedBy,
            AnnouncedAt = now,
        };
        var announcedBefore = new Refusal(409, "A termination plan exists; the service ends only once.", Title: "Already announced");
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.TerminationPlans.AnyAsync(cancellationToken))
        {
            return announcedBefore;
        }

        db.TerminationPlans.Add(plan);
        db.TerminationNoticeRuns.Add(new TerminationNoticeRun { PlanId = plan.Id, NoticeType = NoticeTypes.TerminationNotice, DueAt = now });
        foreach (var days in reminders)
        {
            db.TerminationNoticeRuns.Add(new TerminationNoticeRun { PlanId = plan.Id, NoticeType = NoticeTypes.TerminationReminder, DueAt = endsAt.AddDays(-days) });
        }

        db.AddIntegrationEvent(new ServiceTerminationAnnounced(plan.Id, endsAt, now), now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return announcedBefore; // another announcement won the race
        }

        return new Outcome<TerminationPlan>.Done(plan);
    }
}
