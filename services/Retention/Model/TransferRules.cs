namespace PrivacySuite.Retention.Model;

/// <summary>
/// Transfers of personal information to another controller in a merger, acquisition or asset transfer (INF-5.3): planned
/// with the receiver's acceptance of the policy's obligations, told to every affected subject before the date, and
/// completed no earlier than the date and only once every notice went out.
/// </summary>
public static class TransferRules
{
    /// <summary>Plans a transfer on <paramref name="transferDate"/>, at least <paramref name="minimumNoticeDays"/> after today (UTC).</summary>
    public static async Task<Outcome<TransferPlan>> PlanTransferAsync(this RetentionDbContext db, string recipient, string recipientContact,
        DateOnly transferDate, IReadOnlyCollection<DataCategory> categories, string purposes, string obligationsAcceptedBy, string agreementReference,
        int minimumNoticeDays, string plannedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (categories.Count == 0)
        {
            return new Refusal(400, "Name the data categories that are transferred.", Title: "No categories");
        }

        var earliest = DateOnly.FromDateTime(now.UtcDateTime).AddDays(minimumNoticeDays);
        if (transferDate < earliest)
        {
            return new Refusal(422, $"Every affected subject is told before the transfer (INF-5.3): the date is {earliest:yyyy-MM-dd} or later ({minimumNoticeDays} days' notice).", Title: "Transfer date too soon");
        }

        var plan = new TransferPlan
        {
            Id = Guid.CreateVersion7(now),
            Recipient = recipient,
            RecipientContact = recipientContact,
            TransferDate = transferDate,
            Categories = [.. categories.Distinct().Order().Select(c => c.ToString())],
            Purposes = purposes,
            ObligationsAcceptedBy = obligationsAcceptedBy,
            AgreementReference = agreementReference,
            PlannedBy = plannedBy,
            PlannedAt = now,
        };
        db.TransferPlans.Add(plan);
        // The public notice too, for those the suite has no contact for.
        db.AddIntegrationEvent(new BulletinRequested(Guid.CreateVersion7(now), NoticeTypes.MergerTransferNotice, NoticeVariablesOf(plan), now), now);
        await db.SaveChangesAsync(cancellationToken);
        return new Outcome<TransferPlan>.Done(plan);
    }

    /// <summary>Records that the transfer took place: not before its date, and not before every affected subject was told.</summary>
    public static async Task<Outcome<TransferPlan>> CompleteTransferAsync(this RetentionDbContext db, Guid planId, string completedBy, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var plan = await db.TransferPlans.FromSql($"select * from transfer_plans where id = {planId} for update").SingleOrDefaultAsync(cancellationToken);
        if (plan is null)
        {
            return new Refusal(404, "No transfer plan has this id.", Title: "No such transfer plan");
        }

        if (plan.CompletedAt is not null)
        {
            return new Refusal(409, $"The transfer was recorded as completed at {plan.CompletedAt:u}.", Title: "Already completed");
        }

        if (DateOnly.FromDateTime(now.UtcDateTime) < plan.TransferDate)
        {
            return new Refusal(422, $"The subjects were told the transfer takes effect on {plan.TransferDate:yyyy-MM-dd} (INF-5.3); complete it on or after that day.", Title: "Before the transfer date");
        }

        if (plan.NoticesFinishedAt is null)
        {
            return new Refusal(409, $"{plan.SubjectsNotified} subjects told so far; complete the transfer once every affected subject was told.", Title: "Notices still going out");
        }

        plan.CompletedAt = now;
        plan.CompletedBy = completedBy;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new Outcome<TransferPlan>.Done(plan);
    }

    /// <summary>The merger transfer notice's variables for a plan.</summary>
    public static Dictionary<string, string> NoticeVariablesOf(TransferPlan plan) =>
        NoticeVariables.MergerTransferNotice(plan.Recipient, plan.RecipientContact, plan.TransferDate, plan.Purposes);
}
