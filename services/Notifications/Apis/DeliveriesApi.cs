using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

/// <summary>One subject's delivery of a request: where it stands, and what each channel said.</summary>
public sealed record DeliveryView(Guid RequestId, string SubjectId, string Status, string? Channel, string? Reason, IReadOnlyList<ChannelAttemptView> Attempts);

/// <summary>
/// One channel's attempt: <c>sending</c>, <c>sent</c>, <c>rejected</c>, <c>in_doubt</c> or <c>bounced</c> (the contact was
/// refused for good and is skipped by later notices).
/// </summary>
public sealed record ChannelAttemptView(string Channel, string State, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>A contact of the subject that bounced: its channel, the request whose send bounced, and when. Never the address.</summary>
public sealed record BounceView(string Channel, Guid RequestId, DateTimeOffset BouncedAt);

/// <summary>
/// What became of a notice for one subject, and the subject's bounced contacts: for the operators (and the product that
/// sent the request) to see why a person was not reached, and which contact to have corrected.
/// </summary>
public static class DeliveriesApi
{
    public static IEndpointRouteBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        // A request's deliveries are seen by whoever may see the request (NoticesApi.OwnedBy).
        app.MapGroup("/v1/notices/{requestId:guid}/deliveries").WithTags("Notices")
            .MapGet("/{subjectId}", GetDeliveryAsync).WithName("GetDelivery")
            .WithSummary("One subject's delivery of a request: its status, reason, and each channel's attempt (a bounce included).")
            .RequireRoles([.. NoticesApi.Staff, SuiteRoles.ProductBackend, SuiteRoles.Service]);
        // Which of a subject's contacts bounced is the suite's to know: it names no request of the caller's.
        app.MapGroup("/v1/subjects/{subjectId}/bounces").WithTags("Notices")
            .MapGet("/", ListBouncesAsync).WithName("ListSubjectBounces")
            .WithSummary("The subject's contacts that bounced (channel, request, when), skipped by notices until the contact changes.")
            .RequireRoles([.. NoticesApi.Staff, SuiteRoles.Service]);
        return app;
    }

    private static async Task<Results<Ok<DeliveryView>, ProblemHttpResult>> GetDeliveryAsync(
        Guid requestId, string subjectId, ClaimsPrincipal user, NotificationsDbContext db, CancellationToken cancellationToken)
    {
        var visible = await NoticesApi.OwnedBy(db.NoticeRequests.AsNoTracking(), user, [.. NoticesApi.Staff, SuiteRoles.Service])
            .AnyAsync(r => r.RequestId == requestId, cancellationToken);
        var delivery = visible
            ? await db.Deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.RequestId == requestId && d.SubjectId == subjectId, cancellationToken)
            : null;
        if (delivery is null)
        {
            return NoticesApi.Problem(StatusCodes.Status404NotFound, "No such delivery",
                "Check the request id and that the subject was one of the request's subjects.");
        }

        var attempts = await db.SendAttempts.AsNoTracking().Where(a => a.RequestId == requestId && a.SubjectId == subjectId)
            .OrderBy(a => a.StartedAt).Select(a => new ChannelAttemptView(a.Channel, a.State, a.StartedAt, a.FinishedAt)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new DeliveryView(requestId, subjectId, delivery.Status, delivery.Channel, delivery.Reason, attempts));
    }

    private static async Task<Ok<List<BounceView>>> ListBouncesAsync(
        string subjectId, NotificationsDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.ContactBounces.AsNoTracking().Where(b => b.SubjectId == subjectId).OrderBy(b => b.BouncedAt)
            .Select(b => new BounceView(b.Channel, b.RequestId, b.BouncedAt)).ToListAsync(cancellationToken));
}
