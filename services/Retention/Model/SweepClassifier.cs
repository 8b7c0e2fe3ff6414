namespace PrivacySuite.Retention.Model;

/// <summary>What one batch of a sweep sees: whole subjects, their active items, and the rules in force.</summary>
public sealed record SweepInputs(
    DateTimeOffset AsOf,
    IReadOnlyList<RetentionSubject> Subjects,
    ILookup<string, InventoryItem> ItemsBySubject,
    IReadOnlyDictionary<(string SubjectId, string Purpose), DateTimeOffset> Fulfilments,
    IReadOnlyList<LegalHold> ActiveHolds,
    IReadOnlyDictionary<(DataCategory Category, string Purpose), RetentionSchedule> Schedules,
    TerminationPlan? Plan,
    int CancellationMonths,
    string CancellationAction);

/// <summary>One request to the vault: a whole subject (<see cref="Category"/> null) or some tokens of a category.</summary>
public sealed record RemovalRequest(DataCategory? Category, string Action, string Reason, IReadOnlyList<string> Tokens);

/// <summary>What a sweep does with one subject. <see cref="Held"/>: a legal hold kept something back.</summary>
public sealed record SubjectVerdict(string SubjectId, bool Held, IReadOnlyList<RemovalRequest> Requests);

/// <summary>
/// Decides what a sweep removes. Pure, so the rules are tested without a database. A legal hold always wins
/// (INF-6.4): a held subject yields no request at all, a held category keeps its tokens back.
/// </summary>
public static class SweepClassifier
{
    public static IReadOnlyList<SubjectVerdict> Classify(SweepInputs inputs)
    {
        var verdicts = new List<SubjectVerdict>(inputs.Subjects.Count);
        foreach (var subject in inputs.Subjects)
        {
            if (subject.ErasureItemId is not null)
            {
                continue; // the vault is already removing the whole subject
            }

            verdicts.Add(Classify(inputs, subject));
        }

        return verdicts;
    }

    private static SubjectVerdict Classify(SweepInputs inputs, RetentionSubject subject)
    {
        var items = inputs.ItemsBySubject[subject.SubjectId].ToList();
        var holds = inputs.ActiveHolds.Where(h => h.SubjectId is null || h.SubjectId == subject.SubjectId).ToList();
        if (holds.Any(h => h.SubjectId == subject.SubjectId && h.Category is null))
        {
            return new SubjectVerdict(subject.SubjectId, Held: true, []);
        }

        var heldCategories = holds.Where(h => h.Category is not null).Select(h => h.Category!.Value).ToHashSet();
        if (WholeSubjectReason(inputs, subject) is { } whole)
        {
            if (heldCategories.Count == 0)
            {
                return new SubjectVerdict(subject.SubjectId, Held: false,
                    [new RemovalRequest(null, whole.Action, whole.Reason, items.Select(i => i.Token).Order(StringComparer.Ordinal).ToList())]);
            }

            // The whole subject cannot go while a category is held: remove what is not held, keep the rest.
            var partial = items.Where(i => !heldCategories.Contains(i.Category))
                .GroupBy(i => i.Category)
                .OrderBy(g => g.Key)
                .Select(g => new RemovalRequest(g.Key, whole.Action, whole.Reason, g.Select(i => i.Token).Order(StringComparer.Ordinal).ToList()))
                .ToList();
            return new SubjectVerdict(subject.SubjectId, Held: true, partial);
        }

        var held = false;
        var due = new List<(InventoryItem Item, string Action, string Reason)>();
        foreach (var item in items)
        {
            if (ScheduleFor(inputs, item) is not { } schedule || ClockStart(inputs, subject, item, schedule) is not { } start)
            {
                continue;
            }

            if (start.AddDays(schedule.PeriodDays) > inputs.AsOf)
            {
                continue;
            }

            if (heldCategories.Contains(item.Category))
            {
                held = true;
                continue;
            }

            due.Add((item, schedule.Action, SweepReasons.Schedule(schedule)));
        }

        var requests = due
            .GroupBy(d => (d.Item.Category, d.Action, d.Reason))
            .OrderBy(g => g.Key.Category).ThenBy(g => g.Key.Reason, StringComparer.Ordinal)
            .Select(g => new RemovalRequest(g.Key.Category, g.Key.Action, g.Key.Reason, g.Select(d => d.Item.Token).Order(StringComparer.Ordinal).ToList()))
            .ToList();
        return new SubjectVerdict(subject.SubjectId, held, requests);
    }

    /// <summary>Reasons that remove everything of a subject, strongest first.</summary>
    private static (string Action, string Reason)? WholeSubjectReason(SweepInputs inputs, RetentionSubject subject)
    {
        if (subject.ErasedAt is not null)
        {
            return null;
        }

        if (subject.MinorDetectedAt is not null)
        {
            return (RetentionActions.Erase, SweepReasons.Minor);
        }

        if (inputs.Plan is { } plan && plan.EndsAt <= inputs.AsOf)
        {
            return (plan.Action, SweepReasons.ServiceTermination);
        }

        if (subject.CancelledAt is { } cancelled && cancelled.AddMonths(inputs.CancellationMonths) <= inputs.AsOf)
        {
            return (inputs.CancellationAction, SweepReasons.AccountCancellation);
        }

        return null;
    }

    private static RetentionSchedule? ScheduleFor(SweepInputs inputs, InventoryItem item) =>
        inputs.Schedules.GetValueOrDefault((item.Category, item.Purpose))
        ?? inputs.Schedules.GetValueOrDefault((item.Category, RetentionSchedule.AnyPurpose));

    private static DateTimeOffset? ClockStart(SweepInputs inputs, RetentionSubject subject, InventoryItem item, RetentionSchedule schedule) =>
        schedule.ClockTrigger switch
        {
            ClockTriggers.Collection => item.StoredAt,
            ClockTriggers.LastUse => item.LastUsedAt ?? item.StoredAt,
            ClockTriggers.AccountCancellation => subject.CancelledAt,
            ClockTriggers.PurposeFulfilled => inputs.Fulfilments.TryGetValue((subject.SubjectId, item.Purpose), out var at) ? at : null,
            _ => null,
        };
}
