using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

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
        // The person's own notices, read at the privacy centre (a subject only for their own id: RequestGuard).
        app.MapGroup("/v1/subjects/{subjectId}/notices").WithTags("Notices")
            .MapGet("/", ListSubjectNoticesAsync).WithName("ListSubjectNotices")
            .WithSummary("The notices the subject was sent, newest first (at most 50), with their text in zh-CN and en; a code's notice without its body.")
            .RequireRoles(SuiteRoles.Subject, SuiteRoles.PrivacyOfficer);
        return app;
    }

    private const int SubjectNoticesShown = 50;

    private static async Task<Ok<List<SubjectNoticeView>>> ListSubjectNoticesAsync(
        string subjectId, NotificationsDbContext db, CancellationToken cancellationToken)
    {
        var sent = await (from d in db.Deliveries.AsNoTracking()
                          join r in db.NoticeRequests.AsNoTracking() on d.RequestId equals r.RequestId
                          where d.SubjectId == subjectId && r.NoticeType != PrivacySuite.Contracts.NoticeTypes.OnCallPage
                          orderby r.RequestedAt descending
                          select new { d.RequestId, r.NoticeType, r.Variables, r.RequestedAt, d.Status, d.Channel, d.CompletedAt })
            .Take(SubjectNoticesShown).ToListAsync(cancellationToken);
        return TypedResults.Ok(sent.Select(n => new SubjectNoticeView(n.RequestId, n.NoticeType, n.Status, n.Channel, n.RequestedAt, n.CompletedAt,
            TextOf(n.NoticeType, n.Variables, n.RequestedAt))).ToList());
    }

    /// <summary>
    /// The notice in each language, rendered again from its stored variables. A notice whose variables are filled in at
    /// send time (a one-time code) keeps its subject line only: the code is nowhere to render from, and is never shown again.
    /// </summary>
    private static Dictionary<string, NoticeText> TextOf(string noticeType, Dictionary<string, string> variables, DateTimeOffset requestedAt)
    {
        if (!NoticeTemplates.All.TryGetValue(noticeType, out var template))
        {
            return [];
        }

        var sentLater = template.Variables.Any(v => v.AtSend);
        return new[] { NoticeTemplates.Chinese, NoticeTemplates.English }.ToDictionary(language => language, language =>
        {
            var localized = language == NoticeTemplates.Chinese ? template.Chinese : template.English;
            if (sentLater)
            {
                return new NoticeText(localized.Subject, null);
            }

            try
            {
                var rendered = NoticeTemplates.Render(template, language, variables, requestedAt);
                return new NoticeText(rendered.Subject, rendered.Body);
            }
            catch (TemplateVariablesException)
            {
                // A template changed since the notice was sent: its subject line still says what it was.
                return new NoticeText(localized.Subject, null);
            }
        });
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
            return Refusal.NotFound("Check the request id and that the subject was one of the request's subjects.", title: "No such delivery").ToProblem();
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
