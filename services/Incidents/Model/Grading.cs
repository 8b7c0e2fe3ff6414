using System.Text.Json.Serialization;

namespace PrivacySuite.Incidents.Model;

/// <summary>CAC grades: I especially major, II major, III relatively major, IV general (IWK-2.7).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Grade>))]
public enum Grade
{
    I = 1,
    II = 2,
    III = 3,
    IV = 4,
}

/// <summary>What the on-call team knows about an incident's impact.</summary>
public sealed record IncidentFacts(
    long PeopleAffected,
    IReadOnlyList<string> Categories,
    decimal EconomicLossCny,
    int CriticalSystemOutageMinutes);

public sealed record GradeAssessment(Grade Grade, IReadOnlyList<string> Reasons);

/// <summary>
/// Grades from facts with the thresholds of the CAC Measures for Reporting National Cybersecurity Incidents (2025),
/// annex on grading. The highest grade any one factor reaches wins, and every factor that set it is a reason.
/// </summary>
public static class Grading
{
    // People whose personal information leaked (CLAUSES.md IWK-2.7).
    private static readonly (Grade Grade, long People)[] PeopleThresholds =
        [(Grade.I, 100_000_000), (Grade.II, 10_000_000), (Grade.III, 1_000_000)];

    // Direct economic loss, CNY: 100M / 20M / 5M. CLAUSES.md and the two policies give only the people thresholds above;
    // these figures are the annex's (网络安全事件分级指南, published 2025-09-12). Its grade I lines were checked against the
    // published text (item 7 "1亿元以上", item 2 "主要功能中断运行24小时以上"); the grade II and III lines (20M and 5M;
    // 6 h and 2 h) could not be read from a primary source here and are the annex's as remembered, not verified.
    private static readonly (Grade Grade, decimal Loss)[] LossThresholds =
        [(Grade.I, 100_000_000m), (Grade.II, 20_000_000m), (Grade.III, 5_000_000m)];

    // Outage of a critical information infrastructure's main function, minutes: 24 h / 6 h / 2 h. The annex also grades
    // an outage of the whole infrastructure, with shorter times (grade I from 6 h, by the same published item 2); the
    // facts entered here do not have it yet, so such an outage needs the on-call lead's override with a reason.
    private static readonly (Grade Grade, int Minutes)[] OutageThresholds =
        [(Grade.I, 24 * 60), (Grade.II, 6 * 60), (Grade.III, 2 * 60)];

    public static GradeAssessment Assess(IncidentFacts facts)
    {
        var findings = new List<(Grade Grade, string Reason)>();
        foreach (var (grade, people) in PeopleThresholds)
        {
            if (facts.PeopleAffected >= people)
            {
                findings.Add((grade, $"personal information of {facts.PeopleAffected:N0} people leaked (grade {grade} from {people:N0})"));
                break;
            }
        }

        foreach (var (grade, loss) in LossThresholds)
        {
            if (facts.EconomicLossCny >= loss)
            {
                findings.Add((grade, $"direct economic loss of CNY {facts.EconomicLossCny:N0} (grade {grade} from CNY {loss:N0})"));
                break;
            }
        }

        foreach (var (grade, minutes) in OutageThresholds)
        {
            if (facts.CriticalSystemOutageMinutes >= minutes)
            {
                findings.Add((grade, $"main function of a critical system down {facts.CriticalSystemOutageMinutes} min (grade {grade} from {minutes} min)"));
                break;
            }
        }

        if (findings.Count == 0)
        {
            return new GradeAssessment(Grade.IV, ["below every threshold for relatively major (grade III): general incident"]);
        }

        var top = findings.Min(f => f.Grade);
        return new GradeAssessment(top, findings.Where(f => f.Grade == top).Select(f => f.Reason).ToList());
    }

    /// <summary>Relatively major (III) and above must be reported to the regulator (IWK-2.10).</summary>
    public static bool RequiresRegulatorReport(Grade grade) => grade <= Grade.III;

    /// <summary>1 h for operators of critical information infrastructure, 4 h for everyone else.</summary>
    public static TimeSpan ReportWindow(bool criticalInfrastructureOperator) =>
        criticalInfrastructureOperator ? TimeSpan.FromHours(1) : TimeSpan.FromHours(4);

    /// <summary>The full summary is due within 30 days of closing the incident.</summary>
    public static readonly TimeSpan FinalSummaryWindow = TimeSpan.FromDays(30);
}
