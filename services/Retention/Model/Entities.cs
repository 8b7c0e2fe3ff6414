namespace PrivacySuite.Retention.Model;

/// <summary>What happens to data when its retention period ends.</summary>
public static class RetentionActions
{
    public const string Erase = "erase";
    public const string Anonymise = "anonymise";

    public static readonly IReadOnlyList<string> All = [Erase, Anonymise];
}

/// <summary>The event that starts a schedule's clock.</summary>
public static class ClockTriggers
{
    public const string Collection = "collection";
    public const string LastUse = "last-use";
    public const string AccountCancellation = "account-cancellation";
    public const string PurposeFulfilled = "purpose-fulfilled";

    public static readonly IReadOnlyList<string> All = [Collection, LastUse, AccountCancellation, PurposeFulfilled];
}

/// <summary>The grounds INF-2.2 allows for keeping data longer than needed.</summary>
public static class HoldReasons
{
    public static readonly IReadOnlyList<string> All =
        ["law", "court-order", "authority", "agreement-enforcement", "public-interest", "complaint-or-dispute", "safety"];
}

/// <summary>Why a sweep removes something; recorded on the sweep item and the certificate.</summary>
public static class SweepReasons
{
    public const string Minor = "minor-without-guardian-consent";
    public const string ServiceTermination = "service-termination";
    public const string AccountCancellation = "account-cancellation";

    public static string Schedule(RetentionSchedule schedule) =>
        $"schedule:{schedule.Category}/{schedule.Purpose}/v{schedule.Version}";
}

public sealed class RetentionSchedule
{
    /// <summary>A schedule for any purpose of a category that has no schedule of its own.</summary>
    public const string AnyPurpose = "*";

    public Guid Id { get; set; }
    public DataCategory Category { get; set; }
    public string Purpose { get; set; } = AnyPurpose;
    public int Version { get; set; }
    public int PeriodDays { get; set; }
    public string Action { get; set; } = RetentionActions.Erase;
    public string ClockTrigger { get; set; } = ClockTriggers.Collection;
    public string ChangedBy { get; set; } = "";
    public string? Note { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class RetentionSubject
{
    public string SubjectId { get; set; } = "";
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>The id of the receipt the cancellation notice links to (<see cref="CancellationReceipts"/>); set with <see cref="CancelledAt"/>.</summary>
    public Guid? CancellationReceipt { get; set; }

    public DateTimeOffset? MinorDetectedAt { get; set; }
    public Guid? ErasureItemId { get; set; }
    public DateTimeOffset? ErasedAt { get; set; }
}

public static class ItemStates
{
    public const string Active = "active";
    public const string Erasing = "erasing";
    public const string Anonymising = "anonymising";
}

public sealed class InventoryItem
{
    public string Token { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public DataCategory Category { get; set; }
    public string Purpose { get; set; } = RetentionSchedule.AnyPurpose;
    public DateTimeOffset StoredAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public string State { get; set; } = ItemStates.Active;
    public Guid? SweepItemId { get; set; }
}

public sealed class PurposeFulfilment
{
    public string SubjectId { get; set; } = "";
    public string Purpose { get; set; } = "";
    public DateTimeOffset FulfilledAt { get; set; }
}

public sealed class LegalHold
{
    public Guid Id { get; set; }
    public string? SubjectId { get; set; }
    public DataCategory? Category { get; set; }
    public string ReasonCode { get; set; } = "";
    public string PlacedBy { get; set; } = "";
    public string Reference { get; set; } = "";
    public DateTimeOffset ReviewAt { get; set; }
    public DateTimeOffset PlacedAt { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
    public string? ReleasedBy { get; set; }
    /// <summary>When the on-call person was paged that the review date passed with the hold still standing.</summary>
    public DateTimeOffset? ReviewPagedAt { get; set; }
}

public sealed class LegalHoldAuditEntry
{
    public long Id { get; set; }
    public Guid HoldId { get; set; }
    public string Action { get; set; } = "";
    public string Actor { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public string? Note { get; set; }
}

public sealed class Sweep
{
    public const string Running = "running";
    public const string Completed = "completed";

    public Guid Id { get; set; }
    public string Trigger { get; set; } = "";
    public string RequestedBy { get; set; } = "";
    public DateTimeOffset AsOf { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public string State { get; set; } = Running;
    public string? CursorSubject { get; set; }
    public long SubjectsTotal { get; set; }
    public long SubjectsExamined { get; set; }
    public int Batches { get; set; }
    public long ItemsErasure { get; set; }
    public long ItemsAnonymisation { get; set; }
    public long TokensRequested { get; set; }
    public long SubjectsHeld { get; set; }
}

public static class SweepItemStates
{
    public const string Requested = "requested";
    public const string Done = "done";
    public const string Refused = "refused";
}

/// <summary>
/// One request of a sweep to the vault (one <see cref="RemovalsRequested"/>): the subjects in <see cref="SubjectIds"/>
/// as a whole (<see cref="Category"/> null), or the tokens of one category, with whose each token is
/// (<see cref="TokenSubjects"/>). With <see cref="StoredBefore"/> (one <see cref="ExpiredRemovalsRequested"/>), every
/// value of the category stored before it of the subjects in <see cref="SubjectIds"/>, without tokens. Items from before
/// requests were grouped name one subject in <see cref="SubjectId"/>.
/// </summary>
public sealed class SweepItem
{
    public Guid Id { get; set; }
    public Guid SweepId { get; set; }
    public string? SubjectId { get; set; }
    public DataCategory? Category { get; set; }
    public string Action { get; set; } = "";
    public string Reason { get; set; } = "";
    public string[] SubjectIds { get; set; } = [];
    public string[] Tokens { get; set; } = [];
    public string[] TokenSubjects { get; set; } = [];
    /// <summary>Each token's category, for whole-subject items (a category item's tokens are all of its category).</summary>
    public string[] TokenCategories { get; set; } = [];
    public string[] RefusedSubjects { get; set; } = [];
    public DateTimeOffset? StoredBefore { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    public string State { get; set; } = SweepItemStates.Requested;
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>When the on-call person was paged that the vault had not answered this request for too long.</summary>
    public DateTimeOffset? StuckPagedAt { get; set; }
}

public sealed class DeletionCertificate
{
    public Guid Id { get; set; }
    public string SubjectId { get; set; } = "";
    public Guid? SweepItemId { get; set; }
    public string Outcome { get; set; } = "";
    public string Reason { get; set; } = "";
    public string[] Categories { get; set; } = [];
    public int TokenCount { get; set; }
    public DateTimeOffset CompletedAt { get; set; }
    public string[] Regions { get; set; } = [];
    public DateTimeOffset IssuedAt { get; set; }
}

public sealed class TerminationPlan
{
    public Guid Id { get; set; }
    public DateTimeOffset EndsAt { get; set; }
    public string Action { get; set; } = RetentionActions.Erase;
    public int[] ReminderDays { get; set; } = [];
    public string AnnouncedBy { get; set; } = "";
    public DateTimeOffset AnnouncedAt { get; set; }
    public DateTimeOffset? CollectionStoppedAt { get; set; }
}

public sealed class TerminationNoticeRun
{
    public Guid PlanId { get; set; }
    public string NoticeType { get; set; } = "";
    public DateTimeOffset DueAt { get; set; }
    public string? CursorSubject { get; set; }
    public long Sent { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>
/// A transfer of personal information to another controller (INF-5.3): told to every subject with data of the plan's
/// categories before <see cref="TransferDate"/>, with the receiver's acceptance of the policy's obligations on record.
/// </summary>
public sealed class TransferPlan
{
    public Guid Id { get; set; }
    public string Recipient { get; set; } = "";
    public string RecipientContact { get; set; } = "";
    public DateOnly TransferDate { get; set; }
    /// <summary>The <see cref="DataCategory"/> names, as stored.</summary>
    public string[] Categories { get; set; } = [];
    public string Purposes { get; set; } = "";
    /// <summary>Who signed for the receiver that it takes over the controller's obligations under the policy.</summary>
    public string ObligationsAcceptedBy { get; set; } = "";
    public string AgreementReference { get; set; } = "";
    public string PlannedBy { get; set; } = "";
    public DateTimeOffset PlannedAt { get; set; }
    public string? CursorSubject { get; set; }
    public long SubjectsNotified { get; set; }
    public DateTimeOffset? NoticesFinishedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public string? CompletedBy { get; set; }
}
