using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>One row of GET /api/resources: Aspire's state names, health Healthy or Unhealthy.</summary>
public sealed record ResourceSnapshot(
    string Name, string Type, string Region, string State, string Health, IReadOnlyList<string> Endpoints, DateTimeOffset? StartedAt, int Restarts)
{
    public static ResourceSnapshot Of(Resource r) =>
        new(r.Name, r.Type, r.Region.Name, r.State, r.Health, r.Endpoints.Select(e => e.Url).ToList(), r.StartedAt, r.Restarts);
}

public sealed record LogLineDto(long Sequence, DateTimeOffset Time, string Text);

public static class ResourcesApi
{
    public static IEndpointRouteBuilder MapResourcesApi(this IEndpointRouteBuilder app)
    {
        // Loopback callers (scripts, health probes on this machine) may read the table without the token.
        app.MapGet("/api/resources", Results<Ok<List<ResourceSnapshot>>, ProblemHttpResult> (HttpContext context, DashboardAuth auth, DistributedApplication application) =>
            DashboardAuth.IsLoopback(context) || auth.IsAuthenticated(context)
                ? TypedResults.Ok(application.Resources.Select(ResourceSnapshot.Of).ToList())
                : Unauthorized());

        var group = app.MapGroup("/api/resources/{name}").AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<DashboardAuth>().IsAuthenticated(context.HttpContext)
                ? await next(context)
                : Unauthorized());

        group.MapGet("/logs", Results<ServerSentEventsResult<LogLineDto>, ProblemHttpResult> (
            string name, long? after, DistributedApplication application, HttpContext context, IHostApplicationLifetime lifetime) =>
        {
            if (application.Find(name) is not { } resource)
            {
                return NotFound(name);
            }

            // Ends with the request or with the dashboard, so an open browser never holds up the AppHost's shutdown.
            var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            context.Response.RegisterForDispose(ended);
            return TypedResults.ServerSentEvents(Follow(resource.Log, Math.Max(0, after ?? 0), ended.Token));
        });

        group.MapPost("/commands/{command}", Results<Accepted, ProblemHttpResult> (string name, string command, DistributedApplication application) =>
        {
            if (!ResourceCommands.All.Contains(command))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown command",
                    detail: $"'{Truncate(command)}' is not a command; use one of: {string.Join(", ", ResourceCommands.All)}.");
            }

            return application.Command(name, command) ? TypedResults.Accepted((string?)null) : NotFound(name);
        });
        return app;
    }

    private static ProblemHttpResult Unauthorized() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Dashboard token required",
            detail: "Open the login URL the AppHost printed at start, or send Authorization: Bearer <token>.");

    private static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such resource",
            detail: $"There is no resource named '{Truncate(name)}'; GET /api/resources lists them.");

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static async IAsyncEnumerable<SseItem<LogLineDto>> Follow(ResourceLog log, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = after;
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = log.NextAsync(cancellationToken); // taken before reading, so no line slips between the two
            foreach (var line in log.After(last))
            {
                last = line.Sequence;
                yield return new SseItem<LogLineDto>(new LogLineDto(line.Sequence, line.Time, line.Text)) { EventId = line.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }

            try
            {
                await next.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken);
            }
            catch (TimeoutException)
            {
                // Quiet resource: loop, which also notices a closed connection.
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
