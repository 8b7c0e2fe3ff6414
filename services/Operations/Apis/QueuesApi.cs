namespace PrivacySuite.Operations.Apis;

public sealed record RegionQueuesView(string Region, BrokerView Broker, IReadOnlyList<OutboxBacklog> Outboxes);

public static class QueuesApi
{
    public static IEndpointRouteBuilder MapQueuesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").WithTags("Operations")
            .MapGet("/queues", async Task<Ok<RegionQueuesView[]>> (ClusterReader clusters, BrokerReader brokers, CancellationToken ct) =>
                TypedResults.Ok(await Task.WhenAll(clusters.Regions.Select(async region =>
                    new RegionQueuesView(region, await brokers.QueuesAsync(region, ct), await clusters.OutboxesAsync(region, ct))))))
            .WithName("Queues").WithSummary("Per region: the broker's queues and error queues, and each service database's outbox backlog.");
        return app;
    }
}
