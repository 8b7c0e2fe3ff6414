using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.AppHost.Hosting.Model;
using PrivacySuite.AppHost.Hosting.Replication;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

public sealed record FailoverRequest(string? To);

/// <summary>
/// The regions: roles, replication mode and lag (GET /api/regions), and the operator's failover and rejoin. The same
/// calls serve the dashboard's button and `privacy region failover --to guangzhou`.
/// </summary>
public static class RegionsApi
{
    public static IEndpointRouteBuilder MapRegionsApi(this IEndpointRouteBuilder app)
    {
        var regions = app.MapGroup("/api/regions").AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<DashboardAuth>().IsAuthenticated(context.HttpContext)
                ? await next(context)
                : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Dashboard token required",
                    detail: "Open the login URL the AppHost printed at start, or send Authorization: Bearer <token>."));

        regions.MapGet("/", Results<Ok<RegionsSnapshot>, ProblemHttpResult> (DistributedApplication application) =>
            application.RegionCoordinator is { } coordinator ? TypedResults.Ok(coordinator.Snapshot()) : SingleRegion());

        regions.MapPost("/failover", async Task<Results<Ok<FailoverReport>, ProblemHttpResult>> (FailoverRequest? request, DistributedApplication application, CancellationToken cancellationToken) =>
        {
            if (application.RegionCoordinator is not { } coordinator)
            {
                return SingleRegion();
            }

            if (string.IsNullOrWhiteSpace(request?.To) || request.To.Length > 64)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Which region?",
                    detail: $"Send {{\"to\": \"REGION\"}} with one of: {string.Join(", ", coordinator.Regions)}.");
            }

            try
            {
                return TypedResults.Ok(await coordinator.FailoverAsync(request.To, cancellationToken));
            }
            catch (FailoverRefusedException e)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Failover refused", detail: e.Message);
            }
        });

        regions.MapPost("/{name}/rejoin", Results<Accepted, ProblemHttpResult> (string name, DistributedApplication application) =>
        {
            if (application.RegionCoordinator is not { } coordinator)
            {
                return SingleRegion();
            }

            try
            {
                coordinator.Rejoin(name);
                return TypedResults.Accepted((string?)null);
            }
            catch (FailoverRefusedException e)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such region", detail: e.Message);
            }
        });
        return app;
    }

    private static ProblemHttpResult SingleRegion() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No replicated regions",
            detail: "This AppHost runs a topology without AddReplication, so there is nothing to fail over.");
}
