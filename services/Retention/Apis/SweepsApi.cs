using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>Sweeps: started on demand (or as a dry run), and followed by operators.</summary>
public static class SweepsApi
{
    public const int MaxSweepsListed = 100;

    public static IEndpointRouteBuilder MapSweepsApi(this IEndpointRouteBuilder app)
    {
        var sweeps = app.MapGroup("/v1/sweeps").WithTags("Retention").RequireRoles(SuiteRoles.Operator, SuiteRoles.PrivacyOfficer);
        sweeps.MapPost("/", StartSweep).WithName("StartSweep").WithSummary("Starts a sweep now, or reports what one would remove (dry run).");
        sweeps.MapGet("/", ListSweeps).WithName("ListSweeps").WithSummary("The newest sweeps with their progress, running one first.");
        sweeps.MapGet("/{id:guid}", GetSweep).WithName("GetSweep").WithSummary("A sweep's progress and what it asked the vault to do.");
        return app;
    }

    public static async Task<Results<Accepted<SweepView>, Ok<DryRunReport>, Conflict<ProblemDetails>>> StartSweep(
        StartSweepRequest request, [AsParameters] RetentionServices s, SweepRunner runner, CancellationToken cancellationToken)
    {
        if (request.DryRun)
        {
            return TypedResults.Ok(await runner.DryRunAsync(cancellationToken));
        }

        var (sweep, started) = await runner.StartAsync("on-demand", s.Caller, cancellationToken);
        if (!started)
        {
            return TypedResults.Conflict(Refusal.Conflict($"Sweep {sweep.Id} is still running; follow it at /v1/sweeps/{sweep.Id}.", title: "A sweep is running")
                .ToProblemDetails());
        }

        s.Signal.Notify();
        return TypedResults.Accepted($"/v1/sweeps/{sweep.Id}", await ViewAsync(s.Db, sweep, cancellationToken));
    }

    public static async Task<Results<Ok<SweepView>, NotFound<ProblemDetails>>> GetSweep(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var sweep = await s.Db.Sweeps.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken);
        return sweep is null
            ? Problems.NotFound("No such sweep", "No sweep has this id.")
            : TypedResults.Ok(await ViewAsync(s.Db, sweep, cancellationToken));
    }

    /// <summary>For the operators' dashboard: what the sweeper is doing and did lately.</summary>
    public static async Task<Results<Ok<List<SweepView>>, ProblemHttpResult>> ListSweeps([AsParameters] RetentionServices s, CancellationToken cancellationToken, int limit = 20)
    {
        if (limit is < 1 or > MaxSweepsListed)
        {
            return Problems.Problem(400, "Bad limit", $"limit is between 1 and {MaxSweepsListed}.");
        }

        var sweeps = await s.Db.Sweeps.AsNoTracking()
            .OrderByDescending(x => x.State == "running").ThenByDescending(x => x.StartedAt).ThenByDescending(x => x.Id).Take(limit).ToListAsync(cancellationToken);
        var views = new List<SweepView>(sweeps.Count);
        foreach (var sweep in sweeps)
        {
            views.Add(await ViewAsync(s.Db, sweep, cancellationToken));
        }

        return TypedResults.Ok(views);
    }

    private static async Task<SweepView> ViewAsync(RetentionDbContext db, Sweep sweep, CancellationToken cancellationToken)
    {
        var states = await db.SweepItems.Where(i => i.SweepId == sweep.Id).GroupBy(i => i.State)
            .Select(g => new { g.Key, Count = g.LongCount() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return new SweepView(sweep.Id, sweep.Trigger, sweep.RequestedBy, sweep.State, sweep.AsOf, sweep.StartedAt, sweep.CompletedAt,
            sweep.SubjectsTotal, sweep.SubjectsExamined, sweep.Batches, sweep.ItemsErasure, sweep.ItemsAnonymisation, sweep.TokensRequested, sweep.SubjectsHeld,
            states.GetValueOrDefault(SweepItemStates.Requested), states.GetValueOrDefault(SweepItemStates.Done), states.GetValueOrDefault(SweepItemStates.Refused));
    }
}
