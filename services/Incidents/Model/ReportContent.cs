using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Incidents.Model;

/// <summary>
/// What the CAC measures ask a report to contain (IWK-2.10): the operator, time, place, type and grade, impact,
/// measures and their effect, trend, preliminary cause, clues, next steps and support needed.
/// The initial report may leave the later fields empty; an update completes them.
/// </summary>
public sealed record ReportContent(
    [property: StringLength(200)] string? Operator,
    DateTimeOffset? OccurredAt,
    [property: StringLength(500)] string? Place,
    [property: StringLength(200)] string? TypeAndGrade,
    [property: StringLength(4000)] string? Impact,
    [property: StringLength(4000)] string? Measures,
    [property: StringLength(4000)] string? MeasuresEffect,
    [property: StringLength(4000)] string? Trend,
    [property: StringLength(4000)] string? PreliminaryCause,
    [property: StringLength(4000)] string? Clues,
    [property: StringLength(4000)] string? NextSteps,
    [property: StringLength(4000)] string? SupportNeeded)
{
    /// <summary>The fields a first short report must have.</summary>
    public IReadOnlyList<string> MissingForInitial() => Missing(
        (nameof(Operator), Operator), (nameof(Place), Place), (nameof(TypeAndGrade), TypeAndGrade),
        (nameof(Impact), Impact), (nameof(Measures), Measures));

    public IReadOnlyList<string> MissingForComplete() => Missing(
        (nameof(Operator), Operator), (nameof(Place), Place), (nameof(TypeAndGrade), TypeAndGrade),
        (nameof(Impact), Impact), (nameof(Measures), Measures), (nameof(MeasuresEffect), MeasuresEffect),
        (nameof(Trend), Trend), (nameof(PreliminaryCause), PreliminaryCause), (nameof(Clues), Clues),
        (nameof(NextSteps), NextSteps), (nameof(SupportNeeded), SupportNeeded));

    /// <summary>A draft from what the incident already records; people fill in the rest.</summary>
    public static ReportContent Draft(Incident incident, string operatorName, IReadOnlyList<ContainmentTask> tasks) => new(
        operatorName,
        incident.AwareAt,
        incident.Place,
        $"{incident.Type}, grade {incident.Grade?.ToString() ?? "not yet graded"}",
        $"{incident.PeopleAffected:N0} people; categories {string.Join(", ", incident.Categories)}; " +
        $"economic loss CNY {incident.EconomicLossCny:N0}; critical system outage {incident.CriticalSystemOutageMinutes} min",
        string.Join("; ", tasks.Select(t => $"{t.Title} ({(t.DoneAt is null ? "open" : $"done {t.DoneAt:u}")})")),
        null, null, null, null, null, null);

    private static List<string> Missing(params (string Name, string? Value)[] fields) =>
        fields.Where(f => string.IsNullOrWhiteSpace(f.Value)).Select(f => f.Name).ToList();
}
