namespace PrivacySuite.Operations.Apis;

public sealed record RetentionView(IReadOnlyList<RegionAnswer> Sweeps, IReadOnlyList<RegionAnswer> Holds);

/// <summary>The views read from the services' own APIs (read-only), each answer naming the region that gave it.</summary>
public static class ServicesApi
{
    public static IEndpointRouteBuilder MapServicesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Operations");
        api.MapGet("/incidents", (ServiceReader services, CancellationToken ct) => Read(services, "incidents", "/v1/incidents", ct))
            .WithName("Incidents").WithSummary("Incidents with their regulator countdown (incidents service).");
        api.MapGet("/subject-requests", (ServiceReader services, CancellationToken ct) => Read(services, "vault", "/v1/subject-requests", ct))
            .WithName("SubjectRequests").WithSummary("Subject-rights requests, newest first (vault).");
        api.MapGet("/notices", (ServiceReader services, CancellationToken ct) => Read(services, "notifications", "/v1/notices", ct))
            .WithName("Notices").WithSummary("Notice requests and campaigns with their progress (notifications).");
        api.MapGet("/pages", (ServiceReader services, CancellationToken ct) => Read(services, "notifications", "/v1/pages", ct))
            .WithName("Pages").WithSummary("On-call pages, open ones first, with each round's delivery (notifications).");
        api.MapGet("/policy-announcements", (ServiceReader services, CancellationToken ct) => Read(services, "consent", "/v1/policy-versions", ct))
            .WithName("PolicyAnnouncements").WithSummary("Policy versions and how far each one's announcement to the subjects has come (consent).");
        api.MapGet("/retention", async Task<Ok<RetentionView>> (ServiceReader services, CancellationToken ct) =>
            {
                var sweeps = services.PrimaryOrStandbyAsync("retention", "/v1/sweeps", ct);
                var holds = services.PrimaryOrStandbyAsync("retention", "/v1/legal-holds", ct);
                return TypedResults.Ok(new RetentionView(await sweeps, await holds));
            })
            .WithName("Retention").WithSummary("Sweeps with their progress and the legal holds in force (retention).");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<RegionAnswer>>> Read(ServiceReader services, string service, string path, CancellationToken ct) =>
        TypedResults.Ok(await services.PrimaryOrStandbyAsync(service, path, ct));
}
