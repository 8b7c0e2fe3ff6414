using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using PrivacySuite.AppHost.Hosting.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>What one region's service answered, or why it could not (so one region down never blanks the view).</summary>
public sealed record RegionAnswer(string Region, string Resource, string? Error, JsonElement? Data);

public sealed record RetentionDto(IReadOnlyList<RegionAnswer> Sweeps, IReadOnlyList<RegionAnswer> Holds);

public sealed record OutboxBacklogDto(string Resource, long Backlog, DateTimeOffset At);

public sealed record QueueDto(string Name, string Service, long Messages, long Ready, long Unacknowledged, int Consumers);

public sealed record RegionQueuesDto(string Region, string Broker, string? Error, IReadOnlyList<OutboxBacklogDto> Outboxes, IReadOnlyList<QueueDto> ErrorQueues, IReadOnlyList<QueueDto> Queues);

/// <summary>
/// The privacy-operations views read the running services' own APIs in every region, as an operator would, with a
/// token the AppHost signs from the suite's dev credentials (operator, privacy officer and on-call roles: the
/// dashboard is the operations team's console). Outbox backlogs come from the services' telemetry; queues from each
/// region's RabbitMQ management API. Everything here is read-only and needs the dashboard token.
/// </summary>
public static class OperationsApi
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(4) };

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        var ops = app.MapGroup("/api/operations").AddEndpointFilter(DashboardProblems.RequireToken);
        ops.MapGet("/incidents", async (DistributedApplication application, CancellationToken ct) =>
            TypedResults.Ok(await FromEveryRegionAsync(application, "incidents", "/v1/incidents", ct)));
        ops.MapGet("/subject-requests", async (DistributedApplication application, CancellationToken ct) =>
            TypedResults.Ok(await FromEveryRegionAsync(application, "vault", "/v1/subject-requests", ct)));
        ops.MapGet("/notices", async (DistributedApplication application, CancellationToken ct) =>
            TypedResults.Ok(await FromEveryRegionAsync(application, "notifications", "/v1/notices", ct)));
        ops.MapGet("/retention", async (DistributedApplication application, CancellationToken ct) =>
        {
            var sweeps = FromEveryRegionAsync(application, "retention", "/v1/sweeps", ct);
            var holds = FromEveryRegionAsync(application, "retention", "/v1/legal-holds", ct);
            return TypedResults.Ok(new RetentionDto(await sweeps, await holds));
        });
        ops.MapGet("/queues", async Task<Ok<List<RegionQueuesDto>>> (DistributedApplication application, OtlpReceiver otlp, CancellationToken ct) =>
            TypedResults.Ok((await Task.WhenAll(application.Builder.Regions.Select(r => QueuesAsync(application, otlp, r, ct)))).ToList()));
        return app;
    }

    /// <summary>
    /// With replicated regions both hold the same rows: ask the primary, and the standby (its replica) only when the
    /// primary does not answer, so every row shows once. Regions that do not replicate are each asked.
    /// </summary>
    private static async Task<List<RegionAnswer>> FromEveryRegionAsync(DistributedApplication application, string service, string path, CancellationToken ct)
    {
        if (application.RegionCoordinator is { } regions)
        {
            var answers = new List<RegionAnswer>();
            foreach (var region in new[] { regions.Primary, regions.Standby })
            {
                var answer = application.Find($"{service}-{region.Name}") is ProjectResource resource
                    ? await CallAsync(application, region, resource, path, ct)
                    : new RegionAnswer(region.Name, $"{service}-{region.Name}", "not part of this topology", null);
                answers.Add(answer);
                if (answer.Error is null)
                {
                    return [answer];
                }
            }

            return answers;
        }

        var calls = application.Builder.Regions
            .Select(region => application.Find($"{service}-{region.Name}") is ProjectResource resource
                ? CallAsync(application, region, resource, path, ct)
                : Task.FromResult(new RegionAnswer(region.Name, $"{service}-{region.Name}", "not part of this topology", null)));
        return [.. await Task.WhenAll(calls)];
    }

    private static async Task<RegionAnswer> CallAsync(DistributedApplication application, Region region, ProjectResource resource, string path, CancellationToken ct)
    {
        if (!resource.IsReady)
        {
            return new RegionAnswer(region.Name, resource.Name, $"{resource.Name} is {resource.State}/{resource.Health}", null);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(resource.Endpoint("http").Url + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken(application));
        try
        {
            using var response = await Http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                return new RegionAnswer(region.Name, resource.Name, $"{resource.Name} answered {(int)response.StatusCode} to GET {path}", null);
            }

            return new RegionAnswer(region.Name, resource.Name, null, await response.Content.ReadFromJsonAsync<JsonElement>(ct));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return new RegionAnswer(region.Name, resource.Name, $"{resource.Name} did not answer GET {path} ({e.GetType().Name})", null);
        }
    }

    /// <summary>A short-lived token for the operations team's roles, signed with the suite's key as DevCredentials issues them.</summary>
    private static string OperatorToken(DistributedApplication application) =>
        application.Builder.Credentials.IssueToken("apphost-dashboard", [SuiteRoles.Operator, SuiteRoles.PrivacyOfficer, SuiteRoles.OnCall], TimeSpan.FromMinutes(5));

    private static async Task<RegionQueuesDto> QueuesAsync(DistributedApplication application, OtlpReceiver otlp, Region region, CancellationToken ct)
    {
        // The relay's backlog gauge, newest point per service of the region.
        var outboxes = otlp.Store.Metrics(m => m.Name == "privacysuite.outbox.backlog" && m.Resource.Region == region.Name)
            .GroupBy(m => m.Resource.Name)
            .Select(g => g.MaxBy(m => m.Time)!)
            .Select(m => new OutboxBacklogDto(m.Resource.Name, (long)m.Value, m.Time))
            .OrderBy(o => o.Resource, StringComparer.Ordinal)
            .ToList();

        var broker = application.Resources.OfType<RabbitMqResource>().FirstOrDefault(r => r.Region == region);
        if (broker is null)
        {
            return new RegionQueuesDto(region.Name, "", "this region has no broker", outboxes, [], []);
        }

        if (!broker.IsReady)
        {
            return new RegionQueuesDto(region.Name, broker.Name, $"{broker.Name} is {broker.State}/{broker.Health}", outboxes, [], []);
        }

        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(4));
            using var response = await broker.Server.SendAsync(HttpMethod.Get, "api/queues?columns=name,messages,messages_ready,messages_unacknowledged,consumers", null, cts.Token);
            var queues = (await response.Content.ReadFromJsonAsync<List<ManagementQueue>>(cts.Token) ?? [])
                .Select(q => new QueueDto(q.Name, ServiceOf(q.Name), q.Messages ?? 0, q.MessagesReady ?? 0, q.MessagesUnacknowledged ?? 0, q.Consumers ?? 0))
                .OrderBy(q => q.Name, StringComparer.Ordinal)
                .ToList();
            return new RegionQueuesDto(region.Name, broker.Name, null, outboxes,
                queues.Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)).ToList(),
                queues.Where(q => !q.Name.EndsWith("_error", StringComparison.Ordinal) && !q.Name.EndsWith("_skipped", StringComparison.Ordinal)).ToList());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or HostingException && !ct.IsCancellationRequested)
        {
            return new RegionQueuesDto(region.Name, broker.Name, $"{broker.Name}'s management API did not answer ({e.GetType().Name})", outboxes, [], []);
        }
    }

    /// <summary>Queues are named {service}-{consumer}; the bus's own temporary queues get no service.</summary>
    private static string ServiceOf(string queue)
    {
        var dash = queue.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 ? queue[..dash] : "";
    }

    private sealed record ManagementQueue(
        string Name,
        long? Messages,
        [property: JsonPropertyName("messages_ready")] long? MessagesReady,
        [property: JsonPropertyName("messages_unacknowledged")] long? MessagesUnacknowledged,
        int? Consumers);
}
