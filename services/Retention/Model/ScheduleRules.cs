namespace PrivacySuite.Retention.Model;

/// <summary>Changes to retention schedules: a schedule is never edited, a new version is added.</summary>
public static class ScheduleRules
{
    /// <summary>The longest data may be kept after an account is cancelled (IWK-2.5), in days.</summary>
    public const int MaxDaysAfterCancellation = 31;

    /// <summary>Adds the next version of the schedule of <paramref name="category"/> and <paramref name="purpose"/>.</summary>
    public static async Task<Outcome<RetentionSchedule>> AddScheduleVersionAsync(this RetentionDbContext db, DataCategory category, string purpose,
        int periodDays, string action, string trigger, string? note, string changedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (trigger == ClockTriggers.AccountCancellation && periodDays > MaxDaysAfterCancellation)
        {
            return new Refusal(422, "Data may be kept at most one month after cancellation (IWK-2.5); keep it longer only under a legal hold.", Title: "Period too long");
        }

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        // Serialises concurrent changes of one schedule, so versions never collide.
        await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtext({$"schedule:{category}/{purpose}"}))", cancellationToken);
        var version = await db.Schedules.Where(x => x.Category == category && x.Purpose == purpose).MaxAsync(x => (int?)x.Version, cancellationToken) ?? 0;
        var schedule = new RetentionSchedule
        {
            Id = Guid.CreateVersion7(now),
            Category = category,
            Purpose = purpose,
            Version = version + 1,
            PeriodDays = periodDays,
            Action = action,
            ClockTrigger = trigger,
            ChangedBy = changedBy,
            Note = note,
            CreatedAt = now,
        };
        db.Schedules.Add(schedule);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new Outcome<RetentionSchedule>.Done(schedule);
    }
}
