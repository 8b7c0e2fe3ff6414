using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>The end of the service (IWK-2.6): announced by the privacy officer, followed by operators.</summary>
public static class TerminationPlansApi
{
    public static IEndpointRouteBuilder MapTerminationPlansApi(this IEndpointRouteBuilder app)
    {
        // Roles per route, not on the group: a group's roles and a route's must both hold, which made the read the officer's alone.
        var plans = app.MapGroup("/v1/termination-plans").WithTags("Retention");
        plans.MapPost("/", CreatePlan).WithName("CreateTerminationPlan").WithSummary("Announces the end of the service (IWK-2.6).")
            .RequireRoles(SuiteRoles.PrivacyOfficer);
        plans.MapGet("/{id:guid}", GetPlan).WithName("GetTerminationPlan").WithSummary("A termination plan and its progress.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        return app;
    }

    public static async Task<Results<Created<TerminationPlanView>, ProblemHttpResult>> CreatePlan(
        CreateTerminationPlanRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var outcome = await s.Db.AnnounceTerminationAsync(request.EndsAt!.Value, request.Action, request.ReminderDaysBefore,
            s.Options.Value.MinimumTerminationNoticeDays, s.Caller, s.Time.GetUtcNow(), cancellationToken);
        if (outcome is not Outcome<TerminationPlan>.Done { Value: var plan })
        {
            return Problems.Refused(outcome);
        }

        s.Signal.Notify();
        return TypedResults.Created($"/v1/termination-plans/{plan.Id}", await PlanViewAsync(s.Db, plan, cancellationToken));
    }

    public static async Task<Results<Ok<TerminationPlanView>, NotFound<ProblemDetails>>> GetPlan(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var plan = await s.Db.TerminationPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        return plan is null
            ? Problems.NotFound("No such plan", "No termination plan has this id.")
            : TypedResults.Ok(await PlanViewAsync(s.Db, plan, cancellationToken));
    }

    private static async Task<TerminationPlanView> PlanViewAsync(RetentionDbContext db, TerminationPlan plan, CancellationToken cancellationToken)
    {
        var runs = await db.TerminationNoticeRuns.AsNoTracking().Where(r => r.PlanId == plan.Id).OrderBy(r => r.DueAt).ToListAsync(cancellationToken);
        var total = await db.Subjects.LongCountAsync(cancellationToken);
        var removed = await db.Subjects.LongCountAsync(x => x.ErasedAt != null, cancellationToken);
        var held = await db.Subjects.LongCountAsync(x => x.ErasedAt == null && db.LegalHolds.Any(h => h.ReleasedAt == null && h.SubjectId == x.SubjectId), cancellationToken);
        var state = plan.CollectionStoppedAt is null ? "announced" : removed == total ? "completed" : "removing";
        return new TerminationPlanView(plan.Id, plan.EndsAt, plan.Action, plan.AnnouncedAt, plan.AnnouncedBy, state, plan.CollectionStoppedAt,
            total, runs.FirstOrDefault(r => r.NoticeType == NoticeTypes.TerminationNotice)?.Sent ?? 0, removed, total - removed, held,
            runs.Select(r => new NoticeRunView(r.NoticeType, r.DueAt, r.Sent, r.CompletedAt)).ToList());
    }
}
