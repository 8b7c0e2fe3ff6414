using System.Text.Json.Serialization;

namespace PrivacySuite.Incidents.Model;

[JsonConverter(typeof(JsonStringEnumConverter<IncidentStatus>))]
public enum IncidentStatus
{
    Declared,
    Triaged,
    Contained,
    Reported,
    Notifying,
    Resolved,
    Reviewed,
}

[JsonConverter(typeof(JsonStringEnumConverter<IncidentType>))]
public enum IncidentType
{
    DataLeak,
    Ransomware,
    Intrusion,
    ServiceOutage,
}

/// <summary>An incident and where it stands. Every change goes through a method here that says why it is refused.</summary>
public sealed class Incident
{
    public Guid Id { get; set; }

    public string Title { get; set; } = "";

    public IncidentType Type { get; set; }

    public string Place { get; set; } = "";

    public IncidentStatus Status { get; set; }

    /// <summary>When the operator became aware: the regulator clock runs from here, not from declaration or grading.</summary>
    public DateTimeOffset AwareAt { get; set; }

    public DateTimeOffset DeclaredAt { get; set; }

    public string DeclaredBy { get; set; } = "";

    public Grade? Grade { get; set; }

    public Grade? AssessedGrade { get; set; }

    public List<string> GradeReasons { get; set; } = [];

    public string? GradeOverrideReason { get; set; }

    public long PeopleAffected { get; set; }

    public List<string> Categories { get; set; } = [];

    public decimal EconomicLossCny { get; set; }

    public int CriticalSystemOutageMinutes { get; set; }

    public bool ReportRequired { get; set; }

    public DateTimeOffset? ReportDueAt { get; set; }

    public DateTimeOffset? Escalated50At { get; set; }

    public DateTimeOffset? Escalated90At { get; set; }

    /// <summary>When the watcher raised that the report's deadline passed with no report filed.</summary>
    public DateTimeOffset? EscalatedOverdueAt { get; set; }

    public DateTimeOffset? FirstReportAt { get; set; }

    public DateTimeOffset? ReportCompletedAt { get; set; }

    public DateTimeOffset? ContainedAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public DateTimeOffset? FinalSummaryDueAt { get; set; }

    public DateTimeOffset? FinalSummaryAt { get; set; }

    public DateTimeOffset? ReviewedAt { get; set; }

    /// <summary>Applies a grade (assessed, or overridden by the lead) and, from grade III up, starts the regulator clock from awareness.</summary>
    public string? ApplyGrade(GradeAssessment assessment, Grade? overrideGrade, string? overrideReason, IncidentFacts facts, bool criticalInfrastructureOperator)
    {
        if (Status is IncidentStatus.Resolved or IncidentStatus.Reviewed)
        {
            return $"The incident is {Status}; a closed incident is not graded again.";
        }

        if (overrideGrade is not null && string.IsNullOrWhiteSpace(overrideReason))
        {
            return "An override of the assessed grade needs a reason.";
        }

        var grade = overrideGrade ?? assessment.Grade;
        var required = Model.Grading.RequiresRegulatorReport(grade);
        if (ReportRequired && !required && FirstReportAt is null && Status != IncidentStatus.Triaged && Status != IncidentStatus.Declared)
        {
            // Lowering the grade after containment would let the incident skip its report: the lead files it instead.
            return $"Grade {Grade} requires a regulator report that has not been filed; file it before grading down.";
        }

        AssessedGrade = assessment.Grade;
        Grade = grade;
        GradeReasons = [.. assessment.Reasons];
        GradeOverrideReason = overrideGrade is null ? null : overrideReason;
        PeopleAffected = facts.PeopleAffected;
        Categories = [.. facts.Categories];
        EconomicLossCny = facts.EconomicLossCny;
        CriticalSystemOutageMinutes = facts.CriticalSystemOutageMinutes;
        ReportRequired = required || FirstReportAt is not null;
        ReportDueAt = required ? AwareAt + Model.Grading.ReportWindow(criticalInfrastructureOperator) : ReportDueAt;
        if (Status == IncidentStatus.Declared)
        {
            Status = IncidentStatus.Triaged;
        }

        return null;
    }

    public string? Contain(bool allTasksDone, DateTimeOffset now)
    {
        if (Status != IncidentStatus.Triaged)
        {
            return Status == IncidentStatus.Declared
                ? "Grade the incident before containing it."
                : $"The incident is {Status}; only a triaged incident can be marked contained.";
        }

        if (!allTasksDone)
        {
            return "Containment tasks are still open; complete them (PUT .../tasks/{id}) first.";
        }

        // A report filed before containment (the clock does not wait) already satisfies the report step.
        Status = FirstReportAt is null ? IncidentStatus.Contained : IncidentStatus.Reported;
        ContainedAt = now;
        return null;
    }

    /// <summary>Files a report. The first report may be filed as soon as the incident is graded (the clock does not wait for containment).</summary>
    public string? FileReport(ReportKind kind, bool complete, DateTimeOffset now)
    {
        if (Grade is null)
        {
            return "Grade the incident before reporting it.";
        }

        switch (kind)
        {
            case ReportKind.Initial:
                if (FirstReportAt is not null)
                {
                    return "The initial report was filed already; file an update to complete it.";
                }

                if (Status is IncidentStatus.Resolved or IncidentStatus.Reviewed)
                {
                    return $"The incident is {Status}; file the final summary instead.";
                }

                FirstReportAt = now;
                ReportRequired = true;
                break;
            case ReportKind.Update:
                if (FirstReportAt is null)
                {
                    return "File the initial report first.";
                }

                if (Status is IncidentStatus.Reviewed)
                {
                    return "The incident is reviewed; its reports are closed.";
                }

                break;
            case ReportKind.Final:
                if (Status != IncidentStatus.Resolved)
                {
                    return "The final summary is filed after the incident is resolved.";
                }

                if (FinalSummaryAt is not null)
                {
                    return "The final summary was filed already.";
                }

                FinalSummaryAt = now;
                break;
        }

        if (complete && ReportCompletedAt is null && kind != ReportKind.Final)
        {
            ReportCompletedAt = now;
        }

        if (Status == IncidentStatus.Contained && kind != ReportKind.Final)
        {
            Status = IncidentStatus.Reported;
        }

        return null;
    }

    public string? StartNotifying()
    {
        if (Status == IncidentStatus.Reported || (Status == IncidentStatus.Contained && !ReportRequired))
        {
            Status = IncidentStatus.Notifying;
            return null;
        }

        return Status == IncidentStatus.Contained
            ? $"Grade {Grade} requires a regulator report (due {ReportDueAt:u}); file it before notifying."
            : $"The incident is {Status}; notices start after containment{(ReportRequired ? " and the regulator report" : "")}.";
    }

    public string? Resolve(bool campaignPlanned, DateTimeOffset now)
    {
        var leak = Type == IncidentType.DataLeak;
        var refusal = Status switch
        {
            IncidentStatus.Notifying => campaignPlanned ? null : "The notice campaign is still resolving subjects (or paused: resume it); wait until every batch is requested.",
            IncidentStatus.Reported or IncidentStatus.Contained when leak => "People whose data leaked must be told (INF-3.4): start the notices first.",
            IncidentStatus.Reported => null,
            IncidentStatus.Contained when !ReportRequired => null,
            IncidentStatus.Contained => $"Grade {Grade} requires a regulator report (due {ReportDueAt:u}); file it before resolving.",
            _ => $"The incident is {Status}; it cannot be resolved from there.",
        };
        if (refusal is not null)
        {
            return refusal;
        }

        Status = IncidentStatus.Resolved;
        ResolvedAt = now;
        FinalSummaryDueAt = ReportRequired ? now + Model.Grading.FinalSummaryWindow : null;
        return null;
    }

    public string? Review(DateTimeOffset now)
    {
        if (Status != IncidentStatus.Resolved)
        {
            return $"The incident is {Status}; only a resolved incident is reviewed.";
        }

        if (ReportRequired && FinalSummaryAt is null)
        {
            return $"File the final summary to the regulator (due {FinalSummaryDueAt:u}) before closing the review.";
        }

        Status = IncidentStatus.Reviewed;
        ReviewedAt = now;
        return null;
    }

    /// <summary>Whether a note may go on the timeline: the review closes the record.</summary>
    public string? Note() => Status == IncidentStatus.Reviewed ? "The incident is reviewed; its timeline is closed." : null;
}

[JsonConverter(typeof(JsonStringEnumConverter<ReportKind>))]
public enum ReportKind
{
    Initial,
    Update,
    Final,
}

/// <summary>One line of the append-only timeline (the database refuses updates and deletes).</summary>
public sealed class TimelineEntry
{
    public long Id { get; set; }

    public Guid IncidentId { get; set; }

    public DateTimeOffset At { get; set; }

    public string Actor { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Detail { get; set; } = "";
}

public sealed class ContainmentTask
{
    public Guid Id { get; set; }

    public Guid IncidentId { get; set; }

    public int Position { get; set; }

    public string Title { get; set; } = "";

    public string Owner { get; set; } = "";

    public DateTimeOffset DueAt { get; set; }

    public DateTimeOffset? DoneAt { get; set; }

    public string? DoneBy { get; set; }
}

public sealed class RegulatorReport
{
    public Guid Id { get; set; }

    public Guid IncidentId { get; set; }

    public ReportKind Kind { get; set; }

    public DateTimeOffset FiledAt { get; set; }

    public string FiledBy { get; set; } = "";

    public bool Complete { get; set; }

    /// <summary>The CAC content list as JSON (<see cref="ReportContent"/>).</summary>
    public string Content { get; set; } = "{}";
}

/// <summary>A notice campaign: one per incident, so no subject is told twice about the same incident.</summary>
public sealed class NoticeCampaign
{
    public Guid Id { get; set; }

    public Guid IncidentId { get; set; }

    /// <summary>The affected scope's kind (<see cref="AffectedScope"/>): window, subjects, category or everyone.</summary>
    public string Scope { get; set; } = AffectedScope.Window;

    /// <summary>The categories of a window or category scope; empty for subjects and everyone.</summary>
    public List<string> Categories { get; set; } = [];

    /// <summary>The window of a window scope; null for the other kinds.</summary>
    public DateTimeOffset? WindowFrom { get; set; }

    public DateTimeOffset? WindowTo { get; set; }

    /// <summary>How many subjects a subjects scope names (each in <see cref="NamedSubject"/>); 0 for the other kinds.</summary>
    public int SubjectsNamed { get; set; }

    /// <summary>Named subjects the vault does not hold: checked, reported here, and never sent to.</summary>
    public long SubjectsNotFound { get; set; }

    public string NoticeType { get; set; } = "";

    /// <summary>Template variables as JSON: the five parts and the security advice in zh-CN and en.</summary>
    public string Variables { get; set; } = "{}";

    public string Status { get; set; } = CampaignStatus.Resolving;

    public string? Cursor { get; set; }

    public int BatchesRequested { get; set; }

    public long SubjectsPlanned { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? PlannedAt { get; set; }

    public Guid? BulletinId { get; set; }

    public string? BulletinReason { get; set; }

    public DateTimeOffset? BulletinRequestedAt { get; set; }

    /// <summary>Starts the campaign of an incident for <paramref name="scope"/>; a subjects scope's list comes back as rows to store with it.</summary>
    public static (NoticeCampaign Campaign, List<NamedSubject> Named) Start(Guid incidentId, AffectedScope scope, string variables, DateTimeOffset now)
    {
        var campaign = new NoticeCampaign
        {
            Id = DeterministicIds.Campaign(incidentId),
            IncidentId = incidentId,
            Scope = scope.Kind,
            Categories = [.. scope.Categories],
            WindowFrom = scope.From,
            WindowTo = scope.To,
            SubjectsNamed = scope.SubjectIds.Count,
            NoticeType = NoticeTypes.IncidentNotice,
            Variables = variables,
            StartedAt = now,
        };
        return (campaign, scope.SubjectIds.Select(id => new NamedSubject { CampaignId = campaign.Id, SubjectId = id }).ToList());
    }

    /// <summary>The scope as it was chosen (the named subjects' ids stay in their table: only their count here).</summary>
    public AffectedScope Affected() => new(Scope, Categories, WindowFrom, WindowTo, []);

    /// <summary>Stops planning further batches (the planner takes only resolving campaigns); batches already requested go on.</summary>
    public string? Pause()
    {
        if (Status == CampaignStatus.Paused)
        {
            return "The notice campaign is paused already; resume it to go on.";
        }

        if (Status != CampaignStatus.Resolving)
        {
            return "Every batch of the notice campaign has been requested already: there is nothing left to pause.";
        }

        Status = CampaignStatus.Paused;
        return null;
    }

    /// <summary>The planner picks the campaign up again from its cursor, so nobody is skipped or told twice.</summary>
    public string? Resume()
    {
        if (Status != CampaignStatus.Paused)
        {
            return $"The notice campaign is not paused (it is {Status}).";
        }

        Status = CampaignStatus.Resolving;
        return null;
    }

    /// <summary>Marks the public bulletin (IWK-2.9) requested. Its id comes from the incident: it is published once, for the first reason.</summary>
    public string? RequestBulletin(string reason, DateTimeOffset now)
    {
        if (BulletinId is not null)
        {
            return $"The public bulletin was requested already ({BulletinReason}, {BulletinRequestedAt:u}); it is published once per incident.";
        }

        BulletinId = DeterministicIds.Bulletin(IncidentId);
        BulletinReason = reason;
        BulletinRequestedAt = now;
        return null;
    }
}

/// <summary>One subject a subjects scope names; the planner pages through them by id, as through the vault's listings.</summary>
public sealed class NamedSubject
{
    public Guid CampaignId { get; set; }

    public string SubjectId { get; set; } = "";
}

public static class CampaignStatus
{
    public const string Resolving = "resolving";
    public const string Requested = "requested";
    public const string Paused = "paused";
}

public sealed class NoticeBatch
{
    public Guid BatchId { get; set; }

    public Guid CampaignId { get; set; }

    public int BatchNumber { get; set; }

    public int SubjectCount { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    public int Delivered { get; set; }

    public int Failed { get; set; }
}
