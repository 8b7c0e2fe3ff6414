using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class SubjectViewsApi
{
    /// <summary>
    /// A person's own views in the privacy centre (issue 20): their access log (IWK-2.3) and their rights requests. A
    /// person's token sees its own subject only (403 <c>not-your-data</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapSubjectViewsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/subjects/{subjectId}/access-log", AccessLogAsync).WithTags("Subject rights").WithName("SubjectAccessLog")
            .RequireRoles(SuiteRoles.Subject, SuiteRoles.PrivacyOfficer)
            .ServedByPrimaryRegion() // the view is a read, written to the access log
            .WithSummary("Who read or acted on the subject's data, newest first, a page at a time (limit 1-200, default 50; before: the page's next); never values or details.");
        app.MapGet("/v1/subjects/{subjectId}/requests", RequestsAsync).WithTags("Subject rights").WithName("SubjectOwnRequests")
            .RequireRoles(SuiteRoles.Subject, SuiteRoles.PrivacyOfficer, SuiteRoles.ProductBackend)
            .WithSummary("The subject's access, export, rectification and erasure requests with their state, newest first (limit 1-200, default 50).");
        return app;
    }

    private static async Task<Results<Ok<SubjectAccessLogPage>, ValidationProblem, ProblemHttpResult>> AccessLogAsync(
        string subjectId, int? limit, long? before, [AsParameters] VaultServices s, SubjectViews views, CancellationToken ct)
    {
        if (Limit(limit) is not { } take)
        {
            return RequestProblems.Invalid("limit", $"1-{SubjectViews.MaxPage}.");
        }

        if (before is < 1)
        {
            return RequestProblems.Invalid("before", "The next of a previous page: a position, 1 or more.");
        }

        var (entries, next) = await views.AccessLogAsync(subjectId, before, take, s.Accessor, ct);
        return TypedResults.Ok(new SubjectAccessLogPage(
            [.. entries.Select(e => new SubjectAccessLogEntry(e.Position, e.At, e.Accessor, e.Action, e.Outcome, e.Purpose, e.Category))], next));
    }

    private static async Task<Results<Ok<List<SubjectRequestSummary>>, ValidationProblem, ProblemHttpResult>> RequestsAsync(
        string subjectId, int? limit, [AsParameters] VaultServices s, SubjectViews views, CancellationToken ct)
    {
        if (Limit(limit) is not { } take)
        {
            return RequestProblems.Invalid("limit", $"1-{SubjectViews.MaxPage}.");
        }

        var requests = await views.RequestsAsync(subjectId, take, ct);
        return TypedResults.Ok(requests.Select(r => new SubjectRequestSummary(r.Id, r.Request, r.StartedAt, r.ExpiresAt, r.State, r.DoneAt)).ToList());
    }

    private static int? Limit(int? limit) => (limit ?? SubjectViews.DefaultPage) is var take and >= 1 and <= SubjectViews.MaxPage ? take : null;
}
