using System.Text.Json;
using Microsoft.Extensions.Options;
using PrivacySuite.Incidents.Workers;

namespace PrivacySuite.Incidents.Model;

/// <summary>The facts an incident is graded on (IWK-2.7), as the on-call team gives them.</summary>
public sealed record GradeFacts(long PeopleAffected, IReadOnlyList<string> Categories, decimal EconomicLossCny, int CriticalSystemOutageMinutes,
    Grade? OverrideGrade, string? OverrideReason);

/// <summary>A containment task's change: a new owner, a new due time, done or reopened (each optional).</summary>
public sealed record TaskChange(string? Owner, DateTimeOffset? DueAt, bool? Done);

/// <summary>
/// The on-call team's verbs on an incident: declare, grade, update a containment task, contain, file a regulator report,
/// start the notice campaign, pause and resume it, request the public bulletin, add a note, resolve, review. Each locks
/// the incident's row, lets the <see cref="Incident"/> (or its campaign) decide, writes the change with its timeline entry
/// and event in one transaction, and answers the incident (or what the verb made) or why it refused.
/// </summary>
public sealed class IncidentResponse(IncidentsDbContext db, TimeProvider time, IOptions<IncidentsOptions> options, CampaignSignal signal,
    ILogger<IncidentResponse> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly HashSet<string> KnownCategories = Enum.GetNames<DataCategory>().Select(n => n.ToLowerInvariant()).ToHashSet();

    // A clock a few minutes fast on the caller's side is not a mistake worth refusing.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public async Task<Outcome<Incident>> DeclareAsync(string title, IncidentType type, string place, DateTimeOffset awareAt, string actor, CancellationToken ct)
    {
        var now = time.Now();
        if (awareAt > now + ClockSkew)
        {
            return Refusal.Unprocessable("awareAt is when the team became aware; it cannot be later than now.", title: "Awareness is in the future");
        }

        var incident = new Incident
        {
            Id = Guid.CreateVersion7(),
            Title = title,
            Type = type,
            Place = place,
            Status = IncidentStatus.Declared,
            AwareAt = awareAt,
            DeclaredAt = now,
            DeclaredBy = actor,
        };
        db.Incidents.Add(incident);
        AddTimeline(incident, actor, now, "declared", $"{incident.Type}; aware at {incident.AwareAt:u}");
        db.AddIntegrationEvent(new IncidentDeclared(incident.Id, incident.Title, incident.AwareAt, now), now);
        await db.SaveChangesAsync(ct);
        Log.Transition(logger, incident.Id, "declared");
        return incident;
    }

    /// <summary>Grades from the facts, or overrides with a reason; the first grading opens the type's containment checklist.</summary>
    public async Task<Outcome<Incident>> GradeAsync(Guid id, GradeFacts given, string actor, CancellationToken ct)
    {
        var categories = given.Categories.Select(c => c.ToLowerInvariant()).Distinct().ToList();
        if (categories.FirstOrDefault(c => !KnownCategories.Contains(c)) is { } unknown)
        {
            return Refusal.Invalid("categories", $"'{Truncate(unknown)}' is not a data category; use {string.Join(", ", KnownCategories)}.");
        }

        var now = time.Now();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var facts = new IncidentFacts(given.PeopleAffected, categories, given.EconomicLossCny, given.CriticalSystemOutageMinutes);
        var assessment = Grading.Assess(facts);
        var firstGrading = incident.Grade is null;
        if (incident.ApplyGrade(assessment, given.OverrideGrade, given.OverrideReason, facts, options.Value.IsCriticalInfrastructureOperator) is { } refusal)
        {
            return Conflict(refusal);
        }

        if (firstGrading)
        {
            var position = 0;
            foreach (var item in Checklists.For(incident.Type))
            {
                db.ContainmentTasks.Add(new ContainmentTask
                {
                    Id = Guid.CreateVersion7(),
                    IncidentId = incident.Id,
                    Position = position++,
                    Title = item.Title,
                    Owner = item.Owner,
                    DueAt = now + item.DueAfter,
                });
            }
        }

        var detail = given.OverrideGrade is null
            ? $"grade {incident.Grade}: {string.Join("; ", assessment.Reasons)}"
            : $"grade {incident.Grade} overridden from {assessment.Grade}: {given.OverrideReason}";
        if (incident.ReportDueAt is { } due && incident.ReportRequired)
        {
            detail += $"; regulator report due {due:u}";
        }

        AddTimeline(incident, actor, now, firstGrading ? "triaged" : "regraded", detail);
        db.AddIntegrationEvent(new IncidentGraded(incident.Id, incident.Grade!.Value.ToString(), now), now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(logger, incident.Id, "graded");
        return incident;
    }

    public async Task<Outcome<Incident>> UpdateTaskAsync(Guid id, Guid taskId, TaskChange change, string actor, CancellationToken ct)
    {
        var now = time.Now();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var task = await db.ContainmentTasks.SingleOrDefaultAsync(t => t.Id == taskId && t.IncidentId == id, ct);
        if (task is null)
        {
            return Refusal.NotFound($"Incident {id} has no containment task {taskId}.", "No such task");
        }

        if (incident.Status is IncidentStatus.Resolved or IncidentStatus.Reviewed)
        {
            return Conflict($"The incident is {incident.Status}; its checklist is closed.");
        }

        var changes = new List<string>();
        if (change.Owner is { } owner && owner != task.Owner)
        {
            changes.Add($"owner {task.Owner} -> {owner}");
            task.Owner = owner;
        }

        if (change.DueAt is { } dueAt && dueAt != task.DueAt)
        {
            changes.Add($"due {dueAt:u}");
            task.DueAt = dueAt;
        }

        if (change.Done is { } done && done != (task.DoneAt is not null))
        {
            task.DoneAt = done ? now : null;
            task.DoneBy = done ? actor : null;
            changes.Add(done ? "done" : "reopened");
        }

        if (changes.Count > 0)
        {
            AddTimeline(incident, actor, now, "task", $"{task.Title}: {string.Join(", ", changes)}");
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return incident;
    }

    public Task<Outcome<Incident>> ContainAsync(Guid id, string actor, CancellationToken ct) =>
        TransitionAsync(id, actor, "contained", async (incident, now) =>
        {
            var open = await db.ContainmentTasks.AnyAsync(t => t.IncidentId == id && t.DoneAt == null, ct);
            return (incident.Contain(!open, now), "every containment task done");
        }, ct);

    /// <summary>
    /// Files the initial report, an update, or the final summary (IWK-2.10). What a report must say is checked first: an
    /// initial or final report, or an update that says it is complete, names every part it lacks.
    /// </summary>
    public async Task<Outcome<RegulatorReport>> FileReportAsync(Guid id, ReportKind kind, ReportContent content, bool saysComplete, string actor,
        CancellationToken ct)
    {
        var missing = kind == ReportKind.Initial ? content.MissingForInitial() : content.MissingForComplete();
        if (missing.Count > 0 && !(kind == ReportKind.Update && !saysComplete))
        {
            return Refusal.Invalid(missing.ToDictionary(
                m => "content." + JsonNamingPolicy.CamelCase.ConvertName(m),
                _ => new[] { $"A{(kind == ReportKind.Initial ? "n initial" : kind == ReportKind.Final ? " final" : " complete")} report must say this." }));
        }

        var now = time.Now();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var complete = kind == ReportKind.Final || saysComplete || (kind == ReportKind.Initial && missing.Count == 0 && content.MissingForComplete().Count == 0);
        if (incident.FileReport(kind, complete, now) is { } refusal)
        {
            return Conflict(refusal);
        }

        var report = new RegulatorReport
        {
            Id = Guid.CreateVersion7(),
            IncidentId = id,
            Kind = kind,
            FiledAt = now,
            FiledBy = actor,
            Complete = complete,
            Content = JsonSerializer.Serialize(content, Json),
        };
        db.Reports.Add(report);
        var onTime = incident.ReportDueAt is not { } due || kind != ReportKind.Initial ? "" : now <= due ? " (on time)" : $" (LATE: was due {due:u})";
        AddTimeline(incident, actor, now, $"report-{kind.ToString().ToLowerInvariant()}", $"{kind} report filed{onTime}; status {incident.Status}");
        db.AddIntegrationEvent(new RegulatorReportFiled(id, kind.ToString().ToLowerInvariant(), now), now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(logger, id, "report filed");
        return report;
    }

    /// <summary>Starts the notice campaign to the affected subjects (INF-3.4, IWK-2.8, IWK-2.9): once per incident.</summary>
    public async Task<Outcome<NoticeCampaign>> StartNotifyingAsync(Guid id, AffectedScope scope, NoticeText zhCn, NoticeText en, string actor, CancellationToken ct)
    {
        var now = time.Now();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        if (await db.Campaigns.AnyAsync(c => c.IncidentId == id, ct))
        {
            return Conflict("This incident's notice campaign has started already; a subject is told once per incident.");
        }

        if (incident.StartNotifying() is { } refusal)
        {
            return Conflict(refusal);
        }

        var (campaign, named) = NoticeCampaign.Start(id, scope, JsonSerializer.Serialize(IncidentNoticeVariables.For(id, zhCn, en), Json), now);
        db.Campaigns.Add(campaign);
        db.NamedSubjects.AddRange(named);
        AddTimeline(incident, actor, now, "notifying", $"notice campaign {campaign.Id}: {scope.Kind} scope, {scope.Describe()}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        signal.Notify();
        Log.Transition(logger, id, "notifying");
        return campaign;
    }

    /// <summary>Stops planning further notice batches; batches already requested are still sent.</summary>
    public Task<Outcome<NoticeCampaign>> PauseNoticesAsync(Guid id, string reason, string actor, CancellationToken ct) =>
        ChangeCampaignAsync(id, ct, (incident, campaign, now) =>
        {
            var refusal = campaign.Pause();
            if (refusal is null)
            {
                AddTimeline(incident, actor, now, "notices-paused", $"notice campaign {campaign.Id} paused: {reason}");
            }

            return refusal;
        });

    /// <summary>Plans the remaining notice batches from where the campaign stopped.</summary>
    public async Task<Outcome<NoticeCampaign>> ResumeNoticesAsync(Guid id, string reason, string actor, CancellationToken ct)
    {
        var outcome = await ChangeCampaignAsync(id, ct, (incident, campaign, now) =>
        {
            var refusal = campaign.Resume();
            if (refusal is null)
            {
                AddTimeline(incident, actor, now, "notices-resumed", $"notice campaign {campaign.Id} resumed: {reason}");
            }

            return refusal;
        });
        if (outcome is Outcome<NoticeCampaign>.Done)
        {
            signal.Notify();
        }

        return outcome;
    }

    /// <summary>Requests the incident's public bulletin (IWK-2.9) with the campaign's text; once per incident.</summary>
    public Task<Outcome<NoticeCampaign>> RequestBulletinAsync(Guid id, string reason, string actor, CancellationToken ct) =>
        ChangeCampaignAsync(id, ct, (_, campaign, now) => Bulletins.Request(db, campaign, Bulletins.OnCallDecision, now, actor, reason));

    /// <summary>A note on the timeline: a call made or a decision taken that no other step records.</summary>
    public async Task<Outcome<Incident>> AddNoteAsync(Guid id, string text, string actor, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        if (incident.Note() is { } refusal)
        {
            return Conflict(refusal);
        }

        AddTimeline(incident, actor, time.Now(), "note", text.Trim());
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return incident;
    }

    /// <summary>Resolves the incident; the final summary is due 30 days later.</summary>
    public Task<Outcome<Incident>> ResolveAsync(Guid id, string summary, string actor, CancellationToken ct) =>
        TransitionAsync(id, actor, "resolved", async (incident, now) =>
        {
            var campaign = await db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.IncidentId == id, ct);
            var refusal = incident.Resolve(campaign?.Status == CampaignStatus.Requested, now);
            if (refusal is null)
            {
                db.AddIntegrationEvent(new IncidentResolved(id, incident.Grade!.Value.ToString(), now, incident.FinalSummaryDueAt), now);
            }

            var due = incident.FinalSummaryDueAt is { } d ? $"; final summary due {d:u}" : "";
            return (refusal, summary + due);
        }, ct);

    /// <summary>Closes the post-incident review, and with it the timeline.</summary>
    public Task<Outcome<Incident>> ReviewAsync(Guid id, string summary, string actor, CancellationToken ct) =>
        TransitionAsync(id, actor, "reviewed", (incident, now) => Task.FromResult((incident.Review(now), summary)), ct);

    private async Task<Outcome<Incident>> TransitionAsync(Guid id, string actor, string kind,
        Func<Incident, DateTimeOffset, Task<(string? Refusal, string Detail)>> apply, CancellationToken ct)
    {
        var now = time.Now();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var (refusal, detail) = await apply(incident, now);
        if (refusal is not null)
        {
            return Conflict(refusal);
        }

        AddTimeline(incident, actor, now, kind, detail);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(logger, id, kind);
        return incident;
    }

    /// <summary>Locks the incident, then its campaign (waiting for a page the planner is committing), and applies one change.</summary>
    private async Task<Outcome<NoticeCampaign>> ChangeCampaignAsync(Guid id, CancellationToken ct, Func<Incident, NoticeCampaign, DateTimeOffset, string?> change)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var incident = await db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var campaign = await db.Campaigns.FromSql($"select * from notice_campaigns where incident_id = {id} for update").SingleOrDefaultAsync(ct);
        if (campaign is null)
        {
            return Conflict($"Incident {id} has no notice campaign yet; start it with 'privacy incident notify' (POST /v1/incidents/{id}/notify).");
        }

        if (change(incident, campaign, time.Now()) is { } refusal)
        {
            return Conflict(refusal);
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(logger, id, "notice campaign changed");
        return campaign;
    }

    private void AddTimeline(Incident incident, string actor, DateTimeOffset now, string kind, string detail) =>
        db.Timeline.Add(new TimelineEntry { IncidentId = incident.Id, At = now, Actor = actor, Kind = kind, Detail = detail });

    public static Refusal NotFound(Guid id) => Refusal.NotFound($"There is no incident {id}.", "No such incident");

    private static Refusal Conflict(string detail) => Refusal.Conflict(detail, title: "Not possible in the incident's current state");

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
