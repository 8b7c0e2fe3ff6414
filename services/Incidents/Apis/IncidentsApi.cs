using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Apis;

public static class IncidentsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
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
        DeclareRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await s.Response.DeclareAsync(request.Title, request.Type!.Value, request.Place, request.AwareAt!.Value, user.CallerId(), ct) switch
        {
            Outcome<Incident>.Done { Value: var incident } => TypedResults.Created($"/v1/incidents/{incident.Id}", await ViewAsync(s, incident, ct)),
            Outcome<Incident>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

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
        return incident is null ? IncidentResponse.NotFound(id).ToProblem() : TypedResults.Ok(await ViewAsync(s, incident, ct));
    }

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> GradeIncident(
        Guid id, GradeRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.GradeAsync(id, new GradeFacts(request.PeopleAffected, request.Categories, request.EconomicLossCny,
            request.CriticalSystemOutageMinutes, request.OverrideGrade, request.OverrideReason), user.CallerId(), ct), ct);

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> UpdateTask(
        Guid id, Guid taskId, TaskUpdateRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.UpdateTaskAsync(id, taskId, new TaskChange(request.Owner, request.DueAt, request.Done), user.CallerId(), ct), ct);

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> Contain(
        Guid id, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.ContainAsync(id, user.CallerId(), ct), ct);

    public static async Task<Results<Ok<ReportContent>, ProblemHttpResult>> DraftReport(Guid id, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var incident = await s.Db.Incidents.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null)
        {
            return IncidentResponse.NotFound(id).ToProblem();
        }

        var tasks = await s.Db.ContainmentTasks.AsNoTracking().Where(t => t.IncidentId == id).OrderBy(t => t.Position).ToListAsync(ct);
        return TypedResults.Ok(ReportContent.Draft(incident, s.Options.Value.OperatorName, tasks));
    }

    public static async Task<Results<Created<ReportView>, ValidationProblem, ProblemHttpResult>> FileReport(
        Guid id, FileReportRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await s.Response.FileReportAsync(id, request.Kind!.Value, request.Content, request.Complete, user.CallerId(), ct) switch
        {
            Outcome<RegulatorReport>.Done { Value: var report } => TypedResults.Created($"/v1/incidents/{id}",
                new ReportView(report.Id, report.Kind, report.FiledAt, report.FiledBy, report.Complete, request.Content)),
            Outcome<RegulatorReport>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

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

        return await s.Response.StartNotifyingAsync(id, scope, request.ZhCn, request.En, user.CallerId(), ct) switch
        {
            Outcome<NoticeCampaign>.Done { Value: var campaign } => TypedResults.Accepted($"/v1/incidents/{id}/notices", CampaignView.Of(campaign, 0, 0)),
            Outcome<NoticeCampaign>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    public static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> Notices(Guid id, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var campaign = await s.Db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.IncidentId == id, ct);
        return campaign is null
            ? Refusal.NotFound($"Incident {id} has no notice campaign; start one with POST /v1/incidents/{id}/notify.", title: "No notice campaign").ToProblem()
            : TypedResults.Ok(await CampaignView.LoadAsync(s.Db, campaign, ct));
    }

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> Resolve(
        Guid id, CloseRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.ResolveAsync(id, request.Summary, user.CallerId(), ct), ct);

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> Review(
        Guid id, CloseRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.ReviewAsync(id, request.Summary, user.CallerId(), ct), ct);

    /// <summary>A verb's incident as the API shows it, or its refusal as problem details.</summary>
    internal static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> AnswerAsync(IncidentServices s, Outcome<Incident> outcome,
        CancellationToken ct) => outcome switch
        {
            Outcome<Incident>.Done { Value: var incident } => TypedResults.Ok(await ViewAsync(s, incident, ct)),
            Outcome<Incident>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

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

}

/// <summary>What every handler of the group needs (services, not input: the validator must not walk them).</summary>
// Without this the validation generator walks DbContext.ChangeTracker.Context... until its depth limit: a 500 on every call.
#pragma warning disable ASP0029 // SkipValidation is marked for evaluation; it is the only way to exclude [AsParameters] services in .NET 10.
[Microsoft.Extensions.Validation.SkipValidation]
#pragma warning restore ASP0029
public sealed record IncidentServices(IncidentsDbContext Db, TimeProvider Time, IOptions<IncidentsOptions> Options, IncidentResponse Response);
