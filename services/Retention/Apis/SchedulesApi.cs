using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>Retention schedules: one per category and purpose, versioned.</summary>
public static class SchedulesApi
{
    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/v1/schedules").WithTags("Retention");
        schedules.MapGet("/", ListSchedules).WithName("ListSchedules").WithSummary("The schedules in force, one per category and purpose.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        schedules.MapGet("/{category}/{purpose}/versions", ScheduleVersions).WithName("ScheduleVersions").WithSummary("Every version of one schedule, newest first.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        schedules.MapPut("/{category}/{purpose}", PutSchedule).WithName("PutSchedule").WithSummary("Adds a new version of a schedule.")
            .RequireRoles(SuiteRoles.PrivacyOfficer);
        return app;
    }

    public static async Task<Ok<List<ScheduleView>>> ListSchedules([AsParameters] RetentionServices s, CancellationToken cancellationToken) =>
        TypedResults.Ok((await SweepRunner.CurrentSchedulesAsync(s.Db, cancellationToken)).Select(ScheduleView.From).ToList());

    public static async Task<Results<Ok<List<ScheduleView>>, NotFound<ProblemDetails>, ProblemHttpResult>> ScheduleVersions(
        string category, string purpose, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!RouteValues.TryCategory(category, out var c) || !RouteValues.TryPurpose(purpose))
        {
            return UnknownSchedule();
        }

        var versions = await s.Db.Schedules.AsNoTracking().Where(x => x.Category == c && x.Purpose == purpose)
            .OrderByDescending(x => x.Version).ToListAsync(cancellationToken);
        return versions.Count == 0
            ? Problems.NotFound("No such schedule", "No schedule was ever set for this category and purpose.")
            : TypedResults.Ok(versions.Select(ScheduleView.From).ToList());
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> PutSchedule(
        string category, string purpose, PutScheduleRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!RouteValues.TryCategory(category, out var c) || !RouteValues.TryPurpose(purpose))
        {
            return UnknownSchedule();
        }

        return await s.Db.AddScheduleVersionAsync(c, purpose, request.PeriodDays, request.Action, request.Trigger, request.Note, s.Caller, s.Time.GetUtcNow(),
                cancellationToken) switch
        {
            Outcome<RetentionSchedule>.Done done => TypedResults.Ok(ScheduleView.From(done.Value)),
            var refused => Problems.Refused(refused),
        };
    }

    private static ProblemHttpResult UnknownSchedule() =>
        Problems.Problem(400, "Unknown schedule", "The category must be a data category and the purpose a purpose code or '*'.");
}
