using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Incidents.Workers;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Apis;

/// <summary>The on-call lead's hand on a running notice campaign: pause it, resume it, publish the public bulletin.</summary>
public static class NoticeCampaignApi
{
    public static IEndpointRouteBuilder MapNoticeCampaignApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/incidents").WithTags("Incidents").RequireRoles(SuiteRoles.OnCall);
        group.MapPost("/{id:guid}/notices/pause", Pause).WithName("PauseNotices")
            .WithSummary("Stops planning further notice batches; batches already requested are still sent.");
        group.MapPost("/{id:guid}/notices/resume", Resume).WithName("ResumeNotices")
            .WithSummary("Plans the remaining notice batches from where the campaign stopped.");
        group.MapPost("/{id:guid}/bulletin", PublishBulletin).WithName("PublishBulletin")
            .WithSummary("Requests the incident's public bulletin (IWK-2.9) with the campaign's text; once per incident.");
        return app;
    }

    public static async Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> Pause(
        Guid id, ReasonRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.PauseNoticesAsync(id, request.Reason, user.CallerId(), ct), ct);

    public static async Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> Resume(
        Guid id, ReasonRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.ResumeNoticesAsync(id, request.Reason, user.CallerId(), ct), ct);

    public static async Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> PublishBulletin(
        Guid id, ReasonRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await AnswerAsync(s, await s.Response.RequestBulletinAsync(id, request.Reason, user.CallerId(), ct), ct);

    private static async Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> AnswerAsync(IncidentServices s, Outcome<NoticeCampaign> outcome,
        CancellationToken ct) => outcome switch
        {
            Outcome<NoticeCampaign>.Done { Value: var campaign } => TypedResults.Ok(await CampaignView.LoadAsync(s.Db, campaign, ct)),
            Outcome<NoticeCampaign>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
}

/// <summary>Why the lead did it, for the timeline (no personal data).</summary>
public sealed record ReasonRequest([property: Required, StringLength(500, MinimumLength = 3)] string Reason);
