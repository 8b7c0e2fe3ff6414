using System.ComponentModel.DataAnnotations;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.Apis;

public sealed record PutScheduleRequest(
    [property: Range(0, 36500)] int PeriodDays,
    [property: Required, AllowedValues("erase", "anonymise")] string Action,
    [property: Required, AllowedValues("collection", "last-use", "account-cancellation", "purpose-fulfilled")] string Trigger,
    [property: StringLength(500)] string? Note);

public sealed record ScheduleView(DataCategory Category, string Purpose, int Version, int PeriodDays, string Action, string Trigger, string ChangedBy, string? Note, DateTimeOffset CreatedAt)
{
    public static ScheduleView From(RetentionSchedule s) => new(s.Category, s.Purpose, s.Version, s.PeriodDays, s.Action, s.ClockTrigger, s.ChangedBy, s.Note, s.CreatedAt);
}

public sealed record PlaceHoldRequest(
    [property: StringLength(SubjectId.MaxLength)] string? SubjectId,
    DataCategory? Category,
    [property: Required, AllowedValues("law", "court-order", "authority", "agreement-enforcement", "public-interest", "complaint-or-dispute", "safety")] string ReasonCode,
    [property: Required, StringLength(200, MinimumLength = 1)] string Reference,
    [property: Required] DateTimeOffset? ReviewAt);

public sealed record ReleaseHoldRequest([property: StringLength(500)] string? Note);

public sealed record HoldAuditView(string Action, string Actor, DateTimeOffset At, string? Note);

public sealed record HoldView(Guid Id, string? SubjectId, DataCategory? Category, string ReasonCode, string PlacedBy, string Reference,
    DateTimeOffset ReviewAt, DateTimeOffset PlacedAt, DateTimeOffset? ReleasedAt, string? ReleasedBy, IReadOnlyList<HoldAuditView> Audit)
{
    public static HoldView From(LegalHold h, IEnumerable<LegalHoldAuditEntry> audit) => new(h.Id, h.SubjectId, h.Category, h.ReasonCode, h.PlacedBy,
        h.Reference, h.ReviewAt, h.PlacedAt, h.ReleasedAt, h.ReleasedBy, audit.OrderBy(a => a.Id).Select(a => new HoldAuditView(a.Action, a.Actor, a.At, a.Note)).ToList());
}

/// <summary>Starts a sweep; <c>dryRun</c> must be said either way, since a body that omits it must never erase anything.</summary>
public sealed record StartSweepRequest(bool DryRun);

public sealed record SweepView(Guid Id, string Trigger, string RequestedBy, string State, DateTimeOffset AsOf, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    long SubjectsTotal, long SubjectsExamined, int Batches, long ErasureRequests, long AnonymisationRequests, long TokensRequested, long SubjectsHeld,
    long ItemsAwaitingVault, long ItemsDone, long ItemsRefused)
{
    public double Progress => SubjectsTotal == 0 ? 1 : Math.Min(1, (double)SubjectsExamined / SubjectsTotal);
}

public sealed record CreateTerminationPlanRequest(
    [property: Required] DateTimeOffset? EndsAt,
    [property: Required, AllowedValues("erase", "anonymise")] string Action,
    [property: MaxLength(10)] int[]? ReminderDaysBefore);

public sealed record NoticeRunView(string NoticeType, DateTimeOffset DueAt, long Sent, DateTimeOffset? CompletedAt);

public sealed record TerminationPlanView(Guid Id, DateTimeOffset EndsAt, string Action, DateTimeOffset AnnouncedAt, string AnnouncedBy, string State,
    DateTimeOffset? CollectionStoppedAt, long SubjectsTotal, long SubjectsNotified, long SubjectsRemoved, long SubjectsRemaining, long SubjectsHeld,
    IReadOnlyList<NoticeRunView> Notices);

/// <summary>
/// A transfer to another controller (INF-5.3). <c>obligationsAcceptedBy</c> and <c>agreementReference</c> record that the
/// receiver takes over the controller's obligations under the policy: a plan without them is refused.
/// </summary>
public sealed record CreateTransferPlanRequest(
    [property: Required, StringLength(200, MinimumLength = 1)] string Recipient,
    [property: Required, StringLength(200, MinimumLength = 1)] string RecipientContact,
    [property: Required] DateOnly? TransferDate,
    [property: Required, MinLength(1), MaxLength(20)] DataCategory[] Categories,
    [property: Required, StringLength(500, MinimumLength = 1)] string Purposes,
    [property: Required, StringLength(200, MinimumLength = 1)] string ObligationsAcceptedBy,
    [property: Required, StringLength(200, MinimumLength = 1)] string AgreementReference);

/// <summary>A transfer plan and its progress: <c>notifying</c>, <c>notified</c> (every affected subject told), <c>completed</c>.</summary>
public sealed record TransferPlanView(Guid Id, string Recipient, string RecipientContact, DateOnly TransferDate, IReadOnlyList<string> Categories,
    string Purposes, string ObligationsAcceptedBy, string AgreementReference, string PlannedBy, DateTimeOffset PlannedAt, string State,
    long SubjectsNotified, DateTimeOffset? NoticesFinishedAt, DateTimeOffset? CompletedAt, string? CompletedBy)
{
    public static TransferPlanView From(TransferPlan p) => new(p.Id, p.Recipient, p.RecipientContact, p.TransferDate, p.Categories, p.Purposes,
        p.ObligationsAcceptedBy, p.AgreementReference, p.PlannedBy, p.PlannedAt,
        p.CompletedAt is not null ? "completed" : p.NoticesFinishedAt is not null ? "notified" : "notifying",
        p.SubjectsNotified, p.NoticesFinishedAt, p.CompletedAt, p.CompletedBy);
}

public sealed record SubjectRetentionView(string SubjectId, bool Known, DateTimeOffset? CancelledAt, DateTimeOffset? CancellationClockEndsAt,
    DateTimeOffset? MinorDetectedAt, DateTimeOffset? ErasedAt, bool RemovalWithVault, int ActiveTokens, IReadOnlyList<HoldView> BlockingHolds, string? BlockedBecause,
    IReadOnlyList<Guid> Certificates);

public sealed record CertificateView(Guid Id, string SubjectId, string Outcome, string Reason, IReadOnlyList<string> Categories, int TokenCount,
    DateTimeOffset CompletedAt, IReadOnlyList<string> Regions, DateTimeOffset IssuedAt);
