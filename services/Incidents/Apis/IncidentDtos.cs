using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Incidents.Apis;

// What the incidents API takes and answers.

public sealed record DeclareRequest(
    [property: Required, StringLength(200, MinimumLength = 3)] string Title,
    [property: Required] IncidentType? Type,
    [property: Required, StringLength(500, MinimumLength = 1)] string Place,
    [property: Required] DateTimeOffset? AwareAt);

public sealed record GradeRequest(
    [property: Range(0, 10_000_000_000)] long PeopleAffected,
    [property: Required, MaxLength(6)] IReadOnlyList<string> Categories,
    [property: Range(typeof(decimal), "0", "1000000000000000")] decimal EconomicLossCny,
    [property: Range(0, 525_600)] int CriticalSystemOutageMinutes,
    Grade? OverrideGrade,
    [property: StringLength(1000)] string? OverrideReason);

public sealed record TaskUpdateRequest(
    [property: StringLength(100, MinimumLength = 1)] string? Owner,
    DateTimeOffset? DueAt,
    bool? Done);

public sealed record FileReportRequest(
    [property: Required] ReportKind? Kind,
    [property: Required] ReportContent Content,
    bool Complete = false);

/// <summary>Starts the notice campaign: who is affected (exactly one scope) and the notice text in both languages.</summary>
public sealed record NotifyRequest(
    [property: Required] AffectedRequest? Affected,
    [property: Required] NoticeText ZhCn,
    [property: Required] NoticeText En)
{
    public const long MaxBodyBytes = 1024 * 1024;
}

/// <summary>
/// Who the incident affects, one scope by <see cref="Kind"/>: <c>window</c> (categories, from, to), <c>subjects</c>
/// (subjectIds: 1 to 10,000, each once), <c>category</c> (categories, whenever stored) or <c>everyone</c> (nothing else).
/// A field of another kind is refused.
/// </summary>
public sealed record AffectedRequest(
    [property: Required, AllowedValues(AffectedScope.Window, AffectedScope.Subjects, AffectedScope.Category, AffectedScope.Everyone)] string? Kind,
    [property: MinLength(1), MaxLength(6)] IReadOnlyList<string>? Categories,
    DateTimeOffset? From,
    DateTimeOffset? To,
    [property: MinLength(1), MaxLength(AffectedScope.MaxSubjects)] IReadOnlyList<string>? SubjectIds);

public sealed record CloseRequest([property: Required, StringLength(4000, MinimumLength = 1)] string Summary);

public sealed record RegulatorClock(
    bool ReportRequired,
    DateTimeOffset AwareAt,
    DateTimeOffset? ReportDueAt,
    double? SecondsLeft,
    double? FractionElapsed,
    bool Overdue,
    DateTimeOffset? FirstReportAt,
    DateTimeOffset? ReportCompletedAt,
    DateTimeOffset? FinalSummaryDueAt,
    DateTimeOffset? FinalSummaryAt);

public sealed record IncidentSummary(Guid Id, string Title, IncidentType Type, IncidentStatus Status, Grade? Grade, DateTimeOffset AwareAt, RegulatorClock Clock);

public sealed record FactsView(long PeopleAffected, IReadOnlyList<string> Categories, decimal EconomicLossCny, int CriticalSystemOutageMinutes);

public sealed record TaskView(Guid Id, string Title, string Owner, DateTimeOffset DueAt, DateTimeOffset? DoneAt, string? DoneBy);

public sealed record ReportView(Guid Id, ReportKind Kind, DateTimeOffset FiledAt, string FiledBy, bool Complete, ReportContent Content);

public sealed record TimelineView(DateTimeOffset At, string Actor, string Kind, string Detail);

public sealed record BulletinView(Guid Id, string Reason, DateTimeOffset RequestedAt);

/// <summary>
/// A notice campaign and its progress. <see cref="Scope"/> is who it was started for (window, subjects, category,
/// everyone); <see cref="From"/> and <see cref="To"/> are set for a window only; <see cref="SubjectsNotFound"/> counts
/// named subjects the vault does not hold, which are never sent to.
/// </summary>
public sealed record CampaignView(
    Guid Id, string Status, IReadOnlyList<string> Categories, DateTimeOffset? From, DateTimeOffset? To,
    long SubjectsPlanned, int BatchesRequested, long Delivered, long Failed, DateTimeOffset StartedAt, DateTimeOffset? PlannedAt, BulletinView? Bulletin,
    string Scope, int SubjectsNamed, long SubjectsNotFound)
{
    public static CampaignView Of(NoticeCampaign c, long delivered, long failed) => new(
        c.Id, c.Status, c.Categories, c.WindowFrom, c.WindowTo, c.SubjectsPlanned, c.BatchesRequested, delivered, failed, c.StartedAt, c.PlannedAt,
        c.BulletinId is { } b ? new BulletinView(b, c.BulletinReason!, c.BulletinRequestedAt!.Value) : null,
        c.Scope, c.SubjectsNamed, c.SubjectsNotFound);

    /// <summary>The campaign with its outcomes summed over its batches.</summary>
    public static async Task<CampaignView> LoadAsync(IncidentsDbContext db, NoticeCampaign c, CancellationToken ct)
    {
        var outcomes = await db.NoticeBatches.Where(b => b.CampaignId == c.Id)
            .GroupBy(b => b.CampaignId)
            .Select(g => new { Delivered = g.Sum(b => (long)b.Delivered), Failed = g.Sum(b => (long)b.Failed) })
            .SingleOrDefaultAsync(ct);
        return Of(c, outcomes?.Delivered ?? 0, outcomes?.Failed ?? 0);
    }
}

public sealed record IncidentView(
    Guid Id, string Title, IncidentType Type, string Place, IncidentStatus Status, DateTimeOffset AwareAt, DateTimeOffset DeclaredAt, string DeclaredBy,
    Grade? Grade, Grade? AssessedGrade, IReadOnlyList<string> GradeReasons, string? GradeOverrideReason, FactsView Facts, RegulatorClock Clock,
    IReadOnlyList<TaskView> Tasks, IReadOnlyList<ReportView> Reports, CampaignView? Notices, IReadOnlyList<TimelineView> Timeline);
