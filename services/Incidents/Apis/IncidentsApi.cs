using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using PrivacySuite.Incidents.Workers;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Apis;

public static class IncidentsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly HashSet<string> KnownCategories =
        Enum.GetNames<DataCategory>().Select(n => n.ToLowerInvariant()).ToHashSet();

    // A clock a few minutes fast on the caller's side is not a mistake worth refusing.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public static IEndpointRouteBuilder MapIncidentsApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/incidents").WithTags("Incidents")
            .RequireRoles(SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        read.MapGet("/", List).WithName("ListIncidents").WithSummary("Incidents, open first, with their regulator countdown.");
        read.MapGet("/{id:guid}", Show).WithName("ShowIncident").WithSummary("An incident with its clock, tasks, reports, notices and timeline.");
        read.MapGet("/{id:guid}/report/draft", DraftReport).WithName("DraftReport").WithSummary("A regulator report drafted from what the incident records.");
        read.MapGet("/{id:guid}/notices", Notices).WithName("NoticeProgress").WithSummary("Progress of the incident's notice campaign.");

        var drive = app.MapGroup("/v1/incidents").WithTags("Incidents").RequireRoles(SuiteRoles.OnCall);
        drive.MapPost("/", Declare).WithName("DeclareIncident").WithSummary("Declares an incident; the regulator clock runs from awareAt.");
        drive.MapPost("/{id:guid}/grade", GradeIncident).WithName("GradeIncident").WithSummary("Grades from facts (IWK-2.7), or overrides with a reason.");
        drive.MapPut("/{id:guid}/tasks/{taskId:guid}", UpdateTask).WithName("UpdateContainmentTask").WithSummary("Assigns, reschedules or completes a containment task.");
        drive.MapPost("/{id:guid}/contain", Contain).WithName("ContainIncident").WithSummary("Marks the incident contained once every task is done.");
        drive.MapPost("/{id:guid}/reports", FileReport).WithName("FileReport").WithSummary("Files the initial report, an update, or the final summary (IWK-2.10).");
        drive.MapPost("/{id:guid}/notify", Notify).WithName("NotifySubjects").WithSummary("Starts the notice campaign to affected subjects (INF-3.4, IWK-2.8, IWK-2.9).");
        drive.MapPost("/{id:guid}/resolve", Resolve).WithName("ResolveIncident").WithSummary("Resolves the incident; the final summary is due 30 days later.");
        drive.MapPost("/{id:guid}/review", Review).WithName("ReviewIncident").WithSummary("Closes the post-incident review.");
        return app;
    }

    public static async Task<Results<Created<IncidentView>, ValidationProblem, ProblemHttpResult>> Declare(
        DeclareRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var now = s.Time.Now();
        if (request.AwareAt!.Value > now + ClockSkew)
        {
            return Problem(422, "Awareness is in the future", "awareAt is when the team became aware; it cannot be later than now.");
        }

        var incident = new Incident
        {
            Id = Guid.CreateVersion7(),
            Title = request.Title,
            Type = request.Type!.Value,
            Place = request.Place,
            Status = IncidentStatus.Declared,
            AwareAt = request.AwareAt.Value,
            DeclaredAt = now,
            DeclaredBy = Actor(user),
        };
        s.Db.Incidents.Add(incident);
        AddTimeline(s.Db, incident, user, now, "declared", $"{incident.Type}; aware at {incident.AwareAt:u}");
        s.Db.AddIntegrationEvent(new IncidentDeclared(incident.Id, incident.Title, incident.AwareAt, now), now);
        await s.Db.SaveChangesAsync(ct);
        Log.Transition(s.Logger, incident.Id, "declared");
        return TypedResults.Created($"/v1/incidents/{incident.Id}", await ViewAsync(s, incident, ct));
    }

    public static async Task<Ok<IReadOnlyList<IncidentSummary>>> List([AsParameters] IncidentServices s, CancellationToken ct, bool all = false)
    {
        var now = s.Time.Now();
        var query = s.Db.Incidents.AsNoTracking();
        if (!all)
        {
            query = query.Where(i => i.Status != IncidentStatus.Reviewed);
        }

        var incidents = await query.OrderByDescending(i => i.DeclaredAt).Take(200).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<IncidentSummary>>(incidents
            .Select(i => new IncidentSummary(i.Id, i.Title, i.Type, i.Status, i.Grade, i.AwareAt, Clock(i, now)))
            .ToList());
    }

    public static async Task<Results<Ok<IncidentView>, ProblemHttpResult>> Show(Guid id, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var incident = await s.Db.Incidents.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
        return incident is null ? NotFound(id) : TypedResults.Ok(await ViewAsync(s, incident, ct));
    }

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> GradeIncident(
        Guid id, GradeRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var categories = request.Categories.Select(c => c.ToLowerInvariant()).Distinct().ToList();
        if (categories.FirstOrDefault(c => !KnownCategories.Contains(c)) is { } unknown)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["categories"] = [$"'{Truncate(unknown)}' is not a data category; use {string.Join(", ", KnownCategories)}."],
            });
        }

        var now = s.Time.Now();
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var facts = new IncidentFacts(request.PeopleAffected, categories, request.EconomicLossCny, request.CriticalSystemOutageMinutes);
        var assessment = Grading.Assess(facts);
        var firstGrading = incident.Grade is null;
        var refusal = incident.ApplyGrade(assessment, request.OverrideGrade, request.OverrideReason, facts, s.Options.Value.IsCriticalInfrastructureOperator);
        if (refusal is not null)
        {
            return Conflict(refusal);
        }

        if (firstGrading)
        {
            var position = 0;
            foreach (var item in Checklists.For(incident.Type))
            {
                s.Db.ContainmentTasks.Add(new ContainmentTask
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

        var detail = request.OverrideGrade is null
            ? $"grade {incident.Grade}: {string.Join("; ", assessment.Reasons)}"
            : $"grade {incident.Grade} overridden from {assessment.Grade}: {request.OverrideReason}";
        if (incident.ReportDueAt is { } due && incident.ReportRequired)
        {
            detail += $"; regulator report due {due:u}";
        }

        AddTimeline(s.Db, incident, user, now, firstGrading ? "triaged" : "regraded", detail);
        s.Db.AddIntegrationEvent(new IncidentGraded(incident.Id, incident.Grade!.Value.ToString(), now), now);
        await s.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(s.Logger, incident.Id, "graded");
        return TypedResults.Ok(await ViewAsync(s, incident, ct));
    }

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> UpdateTask(
        Guid id, Guid taskId, TaskUpdateRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var now = s.Time.Now();
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var task = await s.Db.ContainmentTasks.SingleOrDefaultAsync(t => t.Id == taskId && t.IncidentId == id, ct);
        if (task is null)
        {
            return Problem(404, "No such task", $"Incident {id} has no containment task {taskId}.");
        }

        if (incident.Status is IncidentStatus.Resolved or IncidentStatus.Reviewed)
        {
            return Conflict($"The incident is {incident.Status}; its checklist is closed.");
        }

        var changes = new List<string>();
        if (request.Owner is { } owner && owner != task.Owner)
        {
            changes.Add($"owner {task.Owner} -> {owner}");
            task.Owner = owner;
        }

        if (request.DueAt is { } dueAt && dueAt != task.DueAt)
        {
            changes.Add($"due {dueAt:u}");
            task.DueAt = dueAt;
        }

        if (request.Done is { } done && done != (task.DoneAt is not null))
        {
            task.DoneAt = done ? now : null;
            task.DoneBy = done ? Actor(user) : null;
            changes.Add(done ? "done" : "reopened");
        }

        if (changes.Count > 0)
        {
            AddTimeline(s.Db, incident, user, now, "task", $"{task.Title}: {string.Join(", ", changes)}");
            await s.Db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return TypedResults.Ok(await ViewAsync(s, incident, ct));
    }

    public static Task<Results<Ok<IncidentView>, ProblemHttpResult>> Contain(
        Guid id, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        TransitionAsync(id, user, s, "contained", async (incident, now) =>
        {
            var open = await s.Db.ContainmentTasks.AnyAsync(t => t.IncidentId == id && t.DoneAt == null, ct);
            return (incident.Contain(!open, now), "every containment task done");
        }, ct);

    public static async Task<Results<Ok<ReportContent>, ProblemHttpResult>> DraftReport(Guid id, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var incident = await s.Db.Incidents.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var tasks = await s.Db.ContainmentTasks.AsNoTracking().Where(t => t.IncidentId == id).OrderBy(t => t.Position).ToListAsync(ct);
        return TypedResults.Ok(ReportContent.Draft(incident, s.Options.Value.OperatorName, tasks));
    }

    public static async Task<Results<Created<ReportView>, ValidationProblem, ProblemHttpResult>> FileReport(
        Guid id, FileReportRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var kind = request.Kind!.Value;
        var missing = kind == ReportKind.Initial ? request.Content.MissingForInitial() : request.Content.MissingForComplete();
        if (missing.Count > 0 && !(kind == ReportKind.Update && !request.Complete))
        {
            return TypedResults.ValidationProblem(missing.ToDictionary(
                m => "content." + JsonNamingPolicy.CamelCase.ConvertName(m),
                _ => new[] { $"A{(kind == ReportKind.Initial ? "n initial" : kind == ReportKind.Final ? " final" : " complete")} report must say this." }));
        }

        var now = s.Time.Now();
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var complete = kind == ReportKind.Final || request.Complete || (kind == ReportKind.Initial && missing.Count == 0 && request.Content.MissingForComplete().Count == 0);
        var refusal = incident.FileReport(kind, complete, now);
        if (refusal is not null)
        {
            return Conflict(refusal);
        }

        var report = new RegulatorReport
        {
            Id = Guid.CreateVersion7(),
            IncidentId = id,
            Kind = kind,
            FiledAt = now,
            FiledBy = Actor(user),
            Complete = complete,
            Content = JsonSerializer.Serialize(request.Content, Json),
        };
        s.Db.Reports.Add(report);
        var onTime = incident.ReportDueAt is not { } due || kind != ReportKind.Initial ? "" : now <= due ? " (on time)" : $" (LATE: was due {due:u})";
        AddTimeline(s.Db, incident, user, now, $"report-{kind.ToString().ToLowerInvariant()}", $"{kind} report filed{onTime}; status {incident.Status}");
        s.Db.AddIntegrationEvent(new RegulatorReportFiled(id, kind.ToString().ToLowerInvariant(), now), now);
        await s.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(s.Logger, id, "report filed");
        return TypedResults.Created($"/v1/incidents/{id}", new ReportView(report.Id, kind, now, report.FiledBy, complete, request.Content));
    }

    // A subjects scope names up to 10,000 ids of at most 64 characters, beside the notice text in two languages.
    [Microsoft.AspNetCore.Mvc.RequestSizeLimit(NotifyRequest.MaxBodyBytes)]
    public static async Task<Results<Accepted<CampaignView>, ValidationProblem, ProblemHttpResult>> Notify(
        Guid id, NotifyRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var affected = request.Affected!;
        if (AffectedScope.Create(affected.Kind, affected.Categories, affected.From, affected.To, affected.SubjectIds, errors) is not { } scope)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = s.Time.Now();
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        if (await s.Db.Campaigns.AnyAsync(c => c.IncidentId == id, ct))
        {
            return Conflict("This incident's notice campaign has started already; a subject is told once per incident.");
        }

        var refusal = incident.StartNotifying();
        if (refusal is not null)
        {
            return Conflict(refusal);
        }

        var (campaign, named) = NoticeCampaign.Start(id, scope, JsonSerializer.Serialize(IncidentNoticeVariables.For(id, request.ZhCn, request.En), Json), now);
        s.Db.Campaigns.Add(campaign);
        s.Db.NamedSubjects.AddRange(named);
        AddTimeline(s.Db, incident, user, now, "notifying", $"notice campaign {campaign.Id}: {scope.Kind} scope, {scope.Describe()}");
        await s.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        s.Signal.Notify();
        Log.Transition(s.Logger, id, "notifying");
        return TypedResults.Accepted($"/v1/incidents/{id}/notices", CampaignView.Of(campaign, 0, 0));
    }

    public static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> Notices(Guid id, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var campaign = await s.Db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.IncidentId == id, ct);
        return campaign is null
            ? Problem(404, "No notice campaign", $"Incident {id} has no notice campaign; start one with POST /v1/incidents/{id}/notify.")
            : TypedResults.Ok(await CampaignView.LoadAsync(s.Db, campaign, ct));
    }

    public static Task<Results<Ok<IncidentView>, ProblemHttpResult>> Resolve(
        Guid id, CloseRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        TransitionAsync(id, user, s, "resolved", async (incident, now) =>
        {
            var campaign = await s.Db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.IncidentId == id, ct);
            var refusal = incident.Resolve(campaign?.Status == CampaignStatus.Requested, now);
            if (refusal is null)
            {
                s.Db.AddIntegrationEvent(new IncidentResolved(id, incident.Grade!.Value.ToString(), now, incident.FinalSummaryDueAt), now);
            }

            var due = incident.FinalSummaryDueAt is { } d ? $"; final summary due {d:u}" : "";
            return (refusal, request.Summary + due);
        }, ct);

    public static Task<Results<Ok<IncidentView>, ProblemHttpResult>> Review(
        Guid id, CloseRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        TransitionAsync(id, user, s, "reviewed", (incident, now) => Task.FromResult((incident.Review(now), request.Summary)), ct);

    private static async Task<Results<Ok<IncidentView>, ProblemHttpResult>> TransitionAsync(
        Guid id, ClaimsPrincipal user, IncidentServices s, string kind,
        Func<Incident, DateTimeOffset, Task<(string? Refusal, string Detail)>> apply, CancellationToken ct)
    {
        var now = s.Time.Now();
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return NotFound(id);
        }

        var (refusal, detail) = await apply(incident, now);
        if (refusal is not null)
        {
            return Conflict(refusal);
        }

        AddTimeline(s.Db, incident, user, now, kind, detail);
        await s.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(s.Logger, id, kind);
        return TypedResults.Ok(await ViewAsync(s, incident, ct));
    }

    internal static async Task<IncidentView> ViewAsync(IncidentServices s, Incident incident, CancellationToken ct)
    {
        var tasks = await s.Db.ContainmentTasks.AsNoTracking().Where(t => t.IncidentId == incident.Id).OrderBy(t => t.Position).ToListAsync(ct);
        var timeline = await s.Db.Timeline.AsNoTracking().Where(t => t.IncidentId == incident.Id).OrderBy(t => t.Id).ToListAsync(ct);
        var reports = await s.Db.Reports.AsNoTracking().Where(r => r.IncidentId == incident.Id).OrderBy(r => r.FiledAt).ToListAsync(ct);
        var campaign = await s.Db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.IncidentId == incident.Id, ct);
        return new IncidentView(
            incident.Id, incident.Title, incident.Type, incident.Place, incident.Status, incident.AwareAt, incident.DeclaredAt, incident.DeclaredBy,
            incident.Grade, incident.AssessedGrade, incident.GradeReasons, incident.GradeOverrideReason,
            new FactsView(incident.PeopleAffected, incident.Categories, incident.EconomicLossCny, incident.CriticalSystemOutageMinutes),
            Clock(incident, s.Time.Now()),
            tasks.Select(t => new TaskView(t.Id, t.Title, t.Owner, t.DueAt, t.DoneAt, t.DoneBy)).ToList(),
            reports.Select(r => new ReportView(r.Id, r.Kind, r.FiledAt, r.FiledBy, r.Complete, JsonSerializer.Deserialize<ReportContent>(r.Content, Json)!)).ToList(),
            campaign is null ? null : await CampaignView.LoadAsync(s.Db, campaign, ct),
            timeline.Select(t => new TimelineView(t.At, t.Actor, t.Kind, t.Detail)).ToList());
    }

    internal static RegulatorClock Clock(Incident i, DateTimeOffset now)
    {
        double? left = null, fraction = null;
        if (i.ReportRequired && i.ReportDueAt is { } due && i.FirstReportAt is null)
        {
            left = (due - now).TotalSeconds;
            fraction = Math.Round((now - i.AwareAt) / (due - i.AwareAt), 4);
        }

        return new RegulatorClock(i.ReportRequired, i.AwareAt, i.ReportDueAt, left, fraction, left < 0 || (i.FirstReportAt > i.ReportDueAt),
            i.FirstReportAt, i.ReportCompletedAt, i.FinalSummaryDueAt, i.FinalSummaryAt);
    }

    internal static void AddTimeline(IncidentsDbContext db, Incident incident, ClaimsPrincipal user, DateTimeOffset now, string kind, string detail) =>
        db.Timeline.Add(new TimelineEntry { IncidentId = incident.Id, At = now, Actor = Actor(user), Kind = kind, Detail = detail });

    internal static string Actor(ClaimsPrincipal user) => user.CallerId();

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";

    internal static ProblemHttpResult NotFound(Guid id) => Problem(404, "No such incident", $"There is no incident {id}.");

    internal static ProblemHttpResult Conflict(string detail) => Problem(409, "Not possible in the incident's current state", detail);

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}

/// <summary>What every handler of the group needs (services, not input: the validator must not walk them).</summary>
// Without this the validation generator walks DbContext.ChangeTracker.Context... until its depth limit: a 500 on every call.
#pragma warning disable ASP0029 // SkipValidation is marked for evaluation; it is the only way to exclude [AsParameters] services in .NET 10.
[Microsoft.Extensions.Validation.SkipValidation]
#pragma warning restore ASP0029
public sealed record IncidentServices(IncidentsDbContext Db, TimeProvider Time, IOptions<IncidentsOptions> Options, CampaignSignal Signal, ILogger<IncidentServices> Logger);

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
