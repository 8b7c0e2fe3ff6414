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
        Guid id, NoteRequest request, ClaimsPrincipal user, [AsParameters] IncidentServices s, CancellationToken ct) =>
        await IncidentsApi.AnswerAsync(s, await s.Response.AddNoteAsync(id, request.Text, user.CallerId(), ct), ct);
}

/// <summary>A timeline note. The timeline is read by many: ids and facts, no personal data.</summary>
public sealed record NoteRequest([property: Required, StringLength(2000, MinimumLength = 1)] string Text);
