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

    public static Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> Pause(
        Guid id, ReasonRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        ChangeAsync(id, s, ct, (incident, campaign, now) =>
        {
            var refusal = campaign.Pause();
            if (refusal is null)
            {
                IncidentsApi.AddTimeline(s.Db, incident, user, now, "notices-paused", $"notice campaign {campaign.Id} paused: {request.Reason}");
            }

            return refusal;
        });

    public static async Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> Resume(
        Guid id, ReasonRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        var result = await ChangeAsync(id, s, ct, (incident, campaign, now) =>
        {
            var refusal = campaign.Resume();
            if (refusal is null)
            {
                IncidentsApi.AddTimeline(s.Db, incident, user, now, "notices-resumed", $"notice campaign {campaign.Id} resumed: {request.Reason}");
            }

            return refusal;
        });
        if (result.Result is Ok<CampaignView>)
        {
            s.Signal.Notify();
        }

        return result;
    }

    public static Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> PublishBulletin(
        Guid id, ReasonRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        ChangeAsync(id, s, ct, (_, campaign, now) =>
            Bulletins.Request(s.Db, campaign, Bulletins.OnCallDecision, now, IncidentsApi.Actor(user), request.Reason));

    /// <summary>Locks the incident, then its campaign (waiting for a page the planner is committing), and applies one change.</summary>
    private static async Task<Results<Ok<CampaignView>, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        Guid id, IncidentServices s, CancellationToken ct, Func<Incident, NoticeCampaign, DateTimeOffset, string?> change)
    {
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return IncidentsApi.NotFound(id);
        }

        var campaign = await s.Db.Campaigns.FromSql($"select * from notice_campaigns where incident_id = {id} for update").SingleOrDefaultAsync(ct);
        if (campaign is null)
        {
            return IncidentsApi.Conflict($"Incident {id} has no notice campaign yet; start it with 'privacy incident notify' (POST /v1/incidents/{id}/notify).");
        }

        if (change(incident, campaign, s.Time.Now()) is { } refusal)
        {
            return IncidentsApi.Conflict(refusal);
        }

        await s.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Transition(s.Logger, id, "notice campaign changed");
        return TypedResults.Ok(await CampaignView.LoadAsync(s.Db, campaign, ct));
    }
}

/// <summary>Why the lead did it, for the timeline (no personal data).</summary>
public sealed record ReasonRequest([property: Required, StringLength(500, MinimumLength = 3)] string Reason);
