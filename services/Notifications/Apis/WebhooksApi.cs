using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

/// <summary>Webhooks (issue 20.3): endpoints outside the suite, the events they get, signed, and how their deliveries fare.</summary>
public static class WebhooksApi
{
    /// <summary>Who sees and steers every endpoint, whoever registered it.</summary>
    private static readonly string[] SeeAll = [SuiteRoles.Operator, SuiteRoles.PrivacyOfficer];

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("/v1/webhooks").WithTags("Webhooks").WithMetadata(new RequestSizeLimitAttribute(NoticesApi.MaxSmallBodyBytes));
        webhooks.MapPost("/", RegisterAsync).WithName("RegisterWebhook").RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer)
            .WithSummary("Registers an endpoint for some events; answers its signing secret, once.");
        webhooks.MapGet("/", ListAsync).WithName("ListWebhooks").RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Operator, SuiteRoles.PrivacyOfficer)
            .WithSummary("The caller's endpoints (operators and privacy officers: every endpoint) with their health, failing ones first.");
        webhooks.MapDelete("/{endpointId:guid}", DeleteAsync).WithName("DeleteWebhook").RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer)
            .WithSummary("Deletes an endpoint and what was still to be sent to it (a product backend: its own).");
        webhooks.MapPost("/{endpointId:guid}/rotate-secret", RotateSecretAsync).WithName("RotateWebhookSecret")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer).ProducesValidationProblem()
            .WithSummary("A new signing secret for the caller's own endpoint, answered once; the old one signs next to it for overlapMinutes (0-1440), or stops at once (0, or left out).");
        webhooks.MapPost("/{endpointId:guid}/redeliver", RedeliverAsync).WithName("RedeliverWebhooks")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Operator, SuiteRoles.PrivacyOfficer)
            .WithSummary("Queues the endpoint's dead deliveries again, due now, with the same event ids (a product backend: its own).");
        return app;
    }

    private static async Task<Results<Created<WebhookSecretView>, ProblemHttpResult>> RegisterAsync(
        RegisterWebhookRequest body, ClaimsPrincipal user, Webhooks webhooks, ILogger<Webhooks> logger, CancellationToken cancellationToken)
    {
        switch (await webhooks.RegisterAsync(user.CallerId(), body.Url, body.Events, cancellationToken))
        {
            case Outcome<WebhookSecretIssued>.Done { Value: var issued }:
                var e = issued.Endpoint;
                Log.WebhookRegistered(logger, e.EndpointId, string.Join(",", e.Events));
                return TypedResults.Created((string?)null, new WebhookSecretView(e.EndpointId, e.Url, e.Events, issued.Secret, e.CreatedAt));
            case Outcome<WebhookSecretIssued>.Refused { Why: var why }:
                return why.ToProblem();
            default:
                throw new InvalidOperationException("Unexpected outcome.");
        }
    }

    private static async Task<Ok<List<WebhookView>>> ListAsync(ClaimsPrincipal user, Webhooks webhooks, NotificationsDbContext db, CancellationToken cancellationToken)
    {
        var caller = user.CallerId();
        var endpoints = await webhooks.Visible(SeeAll.Any(user.IsInRole) ? null : caller)
            .OrderByDescending(e => e.ConsecutiveFailures > 0).ThenBy(e => e.CreatedAt).ToListAsync(cancellationToken);
        var ids = endpoints.Select(e => e.EndpointId).ToList();
        var counts = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => ids.Contains(d.EndpointId) && d.Status != WebhookDeliveryStatus.Delivered)
            .GroupBy(d => new { d.EndpointId, d.Status }).Select(g => new { g.Key.EndpointId, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        int Count(Guid id, string status) => counts.Where(c => c.EndpointId == id && c.Status == status).Sum(c => c.Count);
        return TypedResults.Ok(endpoints.Select(e => new WebhookView(
            e.EndpointId, e.Owner, e.Owner == caller ? e.Url : WithoutQuery(e.Url), e.Events, e.CreatedAt, e.SecretRotatedAt, e.ConsecutiveFailures > 0,
            e.ConsecutiveFailures, e.LastDeliveredAt, e.LastFailureAt, e.LastFailureReason,
            Count(e.EndpointId, WebhookDeliveryStatus.Pending), Count(e.EndpointId, WebhookDeliveryStatus.Dead))).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid endpointId, ClaimsPrincipal user, Webhooks webhooks, CancellationToken cancellationToken) =>
        await webhooks.DeleteAsync(endpointId, user.IsInRole(SuiteRoles.PrivacyOfficer) ? null : user.CallerId(), cancellationToken) switch
        {
            Outcome<Guid>.Done => TypedResults.NoContent(),
            Outcome<Guid>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    private static async Task<Results<Ok<WebhookSecretView>, ProblemHttpResult>> RotateSecretAsync(
        Guid endpointId, int? overlapMinutes, ClaimsPrincipal user, Webhooks webhooks, CancellationToken cancellationToken) =>
        // Left out, the old secret stops at once, as it always did.
        await webhooks.RotateSecretAsync(endpointId, user.CallerId(), TimeSpan.FromMinutes(overlapMinutes ?? 0), cancellationToken) switch
        {
            Outcome<WebhookSecretIssued>.Done { Value: var issued } => TypedResults.Ok(new WebhookSecretView(
                issued.Endpoint.EndpointId, issued.Endpoint.Url, issued.Endpoint.Events, issued.Secret, issued.Endpoint.CreatedAt, issued.Endpoint.PreviousSecretUntil)),
            Outcome<WebhookSecretIssued>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    private static async Task<Results<Ok<WebhookRedeliveryView>, ProblemHttpResult>> RedeliverAsync(
        Guid endpointId, ClaimsPrincipal user, Webhooks webhooks, CancellationToken cancellationToken) =>
        await webhooks.RedeliverAsync(endpointId, SeeAll.Any(user.IsInRole) ? null : user.CallerId(), cancellationToken) switch
        {
            Outcome<int>.Done { Value: var requeued } => TypedResults.Ok(new WebhookRedeliveryView(endpointId, requeued)),
            Outcome<int>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    /// <summary>Someone else's endpoint is shown without its query, which may hold the receiver's token.</summary>
    private static string WithoutQuery(string url) =>
        url.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? url[..q] + "?…" : url;
}
