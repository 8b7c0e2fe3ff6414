using System.Text.Json;
using System.Text.Json.Serialization;

namespace PrivacySuite.Cli;

// The parts of the incident API's answers the CLI shows. Enums travel as strings.

public sealed record Clock(
    bool ReportRequired, DateTimeOffset AwareAt, DateTimeOffset? ReportDueAt, double? SecondsLeft, double? FractionElapsed, bool Overdue,
    DateTimeOffset? FirstReportAt, DateTimeOffset? ReportCompletedAt, DateTimeOffset? FinalSummaryDueAt, DateTimeOffset? FinalSummaryAt);

public sealed record Summary(Guid Id, string Title, string Type, string Status, string? Grade, DateTimeOffset AwareAt, Clock Clock);

public sealed record Facts(long PeopleAffected, IReadOnlyList<string> Categories, decimal EconomicLossCny, int CriticalSystemOutageMinutes);

public sealed record TaskItem(Guid Id, string Title, string Owner, DateTimeOffset DueAt, DateTimeOffset? DoneAt, string? DoneBy);

public sealed record Report(Guid Id, string Kind, DateTimeOffset FiledAt, string FiledBy, bool Complete, JsonElement Content);

public sealed record TimelineItem(DateTimeOffset At, string Actor, string Kind, string Detail);

public sealed record Bulletin(Guid Id, string Reason, DateTimeOffset RequestedAt);

public sealed record Campaign(
    Guid Id, string Status, IReadOnlyList<string> Categories, DateTimeOffset? From, DateTimeOffset? To,
    long SubjectsPlanned, int BatchesRequested, long Delivered, long Failed, DateTimeOffset StartedAt, DateTimeOffset? PlannedAt, Bulletin? Bulletin,
    string? Scope = null, int SubjectsNamed = 0, long SubjectsNotFound = 0);

public sealed record Incident(
    Guid Id, string Title, string Type, string Place, string Status, DateTimeOffset AwareAt, DateTimeOffset DeclaredAt, string DeclaredBy,
    string? Grade, string? AssessedGrade, IReadOnlyList<string> GradeReasons, string? GradeOverrideReason, Facts Facts, Clock Clock,
    IReadOnlyList<TaskItem> Tasks, IReadOnlyList<Report> Reports, Campaign? Notices, IReadOnlyList<TimelineItem> Timeline);

public static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
