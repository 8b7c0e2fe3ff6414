using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Apis;

/// <summary>Notes on an incident's timeline: the calls made and decisions taken that no other step records.</summary>
public static class TimelineApi
{
    public static IEndpointRouteBuilder MapTimelineApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/incidents").WithTags("Incidents").RequireRoles(SuiteRoles.OnCall);
        group.MapPost("/{id:guid}/notes", AddNote).WithName("AddTimelineNote").WithSummary("Adds a note to the incident's timeline, with time and person.");
        return app;
    }

    public static async Task<Results<Ok<IncidentView>, ValidationProblem, ProblemHttpResult>> AddNote(
        Guid id, NoteRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct)
    {
        await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
        var incident = await s.Db.LockIncidentAsync(id, ct);
        if (incident is null)
        {
            return IncidentsApi.NotFound(id);
        }

        if (incident.Note() is { } refusal)
        {
            return IncidentsApi.Conflict(refusal);
        }

        IncidentsApi.AddTimeline(s.Db, incident, user, s.Time.Now(), "note", request.Text.Trim());
        await s.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await IncidentsApi.ViewAsync(s, incident, ct));
    }
}

/// <summary>A timeline note. The timeline is read by many: ids and facts, no personal data.</summary>
public sealed record NoteRequest([property: Required, StringLength(2000, MinimumLength = 1)] string Text);
