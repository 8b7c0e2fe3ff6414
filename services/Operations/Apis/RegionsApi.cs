namespace PrivacySuite.Operations.Apis;

public static class RegionsApi
{
    public static IEndpointRouteBuilder MapRegionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").WithTags("Operations")
            .MapGet("/regions", async Task<Ok<ClusterView[]>> (ClusterReader clusters, CancellationToken ct) =>
                TypedResults.Ok(await Task.WhenAll(clusters.Regions.Select(r => clusters.ClusterAsync(r, ct)))))
            .WithName("Regions").WithSummary("Per cluster: primary or standby, and the primary's replication with its lag.");
        return app;
    }
}
