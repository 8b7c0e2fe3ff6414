using PrivacySuite.Contracts;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.Tests;

/// <summary>The sweep's decision rules on their own (pure domain logic, no infrastructure).</summary>
public sealed class SweepClassifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<(DataCategory, string), RetentionSchedule> Schedules = new()
    {
        [(DataCategory.Location, "*")] = new() { Category = DataCategory.Location, Purpose = "*", Version = 1, PeriodDays = 90, Action = "erase", ClockTrigger = "collection" },
        [(DataCategory.Delivery, "*")] = new() { Category = DataCategory.Delivery, Purpose = "*", Version = 1, PeriodDays = 30, Action = "erase", ClockTrigger = "purpose-fulfilled" },
        [(DataCategory.Device, "*")] = new() { Category = DataCategory.Device, Purpose = "*", Version = 3, PeriodDays = 10, Action = "anonymise", ClockTrigger = "last-use" },
    };

    private static SweepInputs Inputs(RetentionSubject subject, IEnumerable<InventoryItem> items, IEnumerable<LegalHold>? holds = null,
        TerminationPlan? plan = null, Dictionary<(string, string), DateTimeOffset>? fulfilments = null) =>
        new(Now, [subject], items.ToLookup(i => i.SubjectId), fulfilments ?? [], (holds ?? []).ToList(), Schedules, plan, 1, "erase");

    private static InventoryItem Item(string token, DataCategory category, int daysAgo, int? usedDaysAgo = null, string purpose = "*") =>
        new() { Token = token, SubjectId = "s", Category = category, Purpose = purpose, StoredAt = Now.AddDays(-daysAgo), LastUsedAt = usedDaysAgo is { } u ? Now.AddDays(-u) : null };

    [Fact]
    public void Expired_collection_schedule_erases_only_the_expired_tokens()
    {
        var verdict = Assert.Single(SweepClassifier.Classify(Inputs(new RetentionSubject { SubjectId = "s" },
            [Item("old", DataCategory.Location, 91), Item("new", DataCategory.Location, 89)])));

        var request = Assert.Single(verdict.Requests);
        Assert.Equal((DataCategory.Location, "erase", "schedule:Location/*/v1"), (request.Category!.Value, request.Action, request.Reason));
        Assert.Equal(["old"], request.Tokens);
    }

    [Fact]
    public void Last_use_restarts_the_clock_and_purpose_fulfilment_starts_one()
    {
        var subject = new RetentionSubject { SubjectId = "s" };
        var items = new[] { Item("used", DataCategory.Device, 100, usedDaysAgo: 5), Item("idle", DataCategory.Device, 100), Item("parcel", DataCategory.Delivery, 100) };

        var unfulfilled = Assert.Single(SweepClassifier.Classify(Inputs(subject, items)));
        var fulfilled = Assert.Single(SweepClassifier.Classify(Inputs(subject, items, fulfilments: new() { [("s", "*")] = Now.AddDays(-31) })));

        Assert.Equal(["idle"], Assert.Single(unfulfilled.Requests).Tokens);
        Assert.Equal(["parcel"], fulfilled.Requests.Single(r => r.Category == DataCategory.Delivery).Tokens);
    }

    [Fact]
    [Trait("Clause", "IWK-2.5")]
    public void Cancellation_removes_the_whole_subject_after_one_calendar_month()
    {
        var items = new[] { Item("a", DataCategory.Identity, 400) };

        var early = SweepClassifier.Classify(Inputs(new RetentionSubject { SubjectId = "s", CancelledAt = Now.AddMonths(-1).AddMinutes(1) }, items));
        var due = SweepClassifier.Classify(Inputs(new RetentionSubject { SubjectId = "s", CancelledAt = Now.AddMonths(-1) }, items));

        Assert.Empty(Assert.Single(early).Requests);
        var request = Assert.Single(Assert.Single(due).Requests);
        Assert.Null(request.Category);
        Assert.Equal("account-cancellation", request.Reason);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public void A_subject_hold_blocks_every_reason_for_removal()
    {
        var subject = new RetentionSubject { SubjectId = "s", CancelledAt = Now.AddYears(-1), MinorDetectedAt = Now };
        var plan = new TerminationPlan { EndsAt = Now.AddDays(-1), Action = "erase" };

        var verdict = Assert.Single(SweepClassifier.Classify(Inputs(subject, [Item("a", DataCategory.Location, 400)],
            [new LegalHold { SubjectId = "s", ReasonCode = "law" }], plan)));

        Assert.True(verdict.Held);
        Assert.Empty(verdict.Requests);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public void A_category_hold_for_everyone_turns_a_whole_subject_removal_into_removal_of_the_rest()
    {
        var subject = new RetentionSubject { SubjectId = "s", MinorDetectedAt = Now };

        var verdict = Assert.Single(SweepClassifier.Classify(Inputs(subject, [Item("loc", DataCategory.Location, 1), Item("dev", DataCategory.Device, 1)],
            [new LegalHold { Category = DataCategory.Device, ReasonCode = "public-interest" }])));

        Assert.True(verdict.Held);
        var request = Assert.Single(verdict.Requests);
        Assert.Equal(DataCategory.Location, request.Category);
        Assert.Equal(["loc"], request.Tokens);
    }

    [Fact]
    public void A_subject_already_with_the_vault_is_not_asked_for_again()
    {
        var verdicts = SweepClassifier.Classify(Inputs(new RetentionSubject { SubjectId = "s", MinorDetectedAt = Now, ErasureItemId = Guid.NewGuid() }, []));

        Assert.Empty(verdicts);
    }
}
