using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Notifications.Channels;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

// Services, not input: the validation generator must not walk into the DbContext.
#pragma warning disable ASP0029 // SkipValidation is marked "for evaluation" in .NET 10; it is the documented way to opt out.
[Microsoft.Extensions.Validation.SkipValidation]
#pragma warning restore ASP0029
public sealed record NoticesServices(NotificationsDbContext Db, NoticeIntake Intake);

public static class NoticesApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>A campaign of 100,000 subject ids is about 7 MB of JSON; anything else here is small.</summary>
    public const long MaxNoticeBodyBytes = 16 * 1024 * 1024;
    public const long MaxSmallBodyBytes = 64 * 1024;
    /// <summary>Who may read the templates: anyone who may send some notice, and the operators who watch sending.</summary>
    private static readonly string[] TemplateReaders =
        [SuiteRoles.ProductBackend, SuiteRoles.Operator, SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer, SuiteRoles.Service];

    /// <summary>The suite's people who watch and steer every campaign, whoever started it.</summary>
    internal static readonly string[] Staff = [SuiteRoles.Operator, SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer];

    /// <summary>
    /// Who may send each notice type. A type the suite sends for itself (a verification code, a deletion certificate, a
    /// disclosure) is the suite's alone: a product backend that could send one could choose the code a subject is asked for.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Senders = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [NoticeTypes.PolicyUpdate] = [SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer, SuiteRoles.Service],
        [NoticeTypes.MergerTransferNotice] = [SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer, SuiteRoles.Service],
        [NoticeTypes.IncidentNotice] = [SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer, SuiteRoles.Service],
        [NoticeTypes.TerminationNotice] = [SuiteRoles.PrivacyOfficer, SuiteRoles.Service],
        [NoticeTypes.TerminationReminder] = [SuiteRoles.PrivacyOfficer, SuiteRoles.Service],
        [NoticeTypes.VerificationCode] = [SuiteRoles.Service],
        [NoticeTypes.GuardianVerificationCode] = [SuiteRoles.Service],
        [NoticeTypes.DeletionCertificate] = [SuiteRoles.Service],
        [NoticeTypes.CancellationNotice] = [SuiteRoles.Service],
        [NoticeTypes.DisclosureNotice] = [SuiteRoles.Service],
    };

    public static IEndpointRouteBuilder MapNoticesApi(this IEndpointRouteBuilder app)
    {
        var notices = app.MapGroup("/v1/notices").WithTags("Notices");
        notices.MapPost("/", SendAsync).WithName("SendNotice").WithMetadata(new RequestSizeLimitAttribute(MaxNoticeBodyBytes))
            .RequireRoles([.. Senders.Values.SelectMany(r => r).Distinct()])
            .WithSummary("Queues a notice for one subject or a campaign for many; repeat with the same Idempotency-Key to get the same request.");
        // Every request names subjects: the whole list is for the suite's people, not for any one product.
        notices.MapGet("/", ListAsync).WithName("ListNoticeRequests").WithSummary("The newest requests and campaigns with their progress.")
            .RequireRoles(Staff);
        // A request belongs to who sent it, or to the suite (see OwnedBy).
        notices.MapGet("/{requestId:guid}", GetAsync).WithName("GetNoticeRequest").WithSummary("A request's progress.")
            .RequireRoles([.. Staff, SuiteRoles.ProductBackend, SuiteRoles.Service]);
        notices.MapPost("/{requestId:guid}/pause", (Guid requestId, ClaimsPrincipal user, [AsParameters] NoticesServices s, CancellationToken ct) => SetPausedAsync(requestId, true, user, s, ct))
            .WithName("PauseNoticeRequest").WithSummary("Stops sending the rest of a campaign; what was sent stays sent.")
            .RequireRoles([.. Staff, SuiteRoles.ProductBackend]);
        notices.MapPost("/{requestId:guid}/resume", (Guid requestId, ClaimsPrincipal user, [AsParameters] NoticesServices s, CancellationToken ct) => SetPausedAsync(requestId, false, user, s, ct))
            .WithName("ResumeNoticeRequest").WithSummary("Continues a paused campaign where it stopped.")
            .RequireRoles([.. Staff, SuiteRoles.ProductBackend]);

        var templates = app.MapGroup("/v1/templates").WithTags("Templates").RequireRoles(TemplateReaders)
            .WithMetadata(new RequestSizeLimitAttribute(MaxSmallBodyBytes));
        templates.MapGet("/", ListTemplates).WithName("ListTemplates").WithSummary("The notice types, their variables and languages.");
        templates.MapPost("/{noticeType}/preview", Preview).WithName("PreviewTemplate")
            .WithSummary("Renders a notice type in zh-CN, en, or both (no language), validating the variables as a send would.");
        return app;
    }

    private static async Task<Results<Accepted<NoticeRequestView>, ProblemHttpResult>> SendAsync(
        SendNoticeRequest body,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        [AsParameters] NoticesServices s,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(idempotencyKey) || idempotencyKey.Length > 128)
        {
            return new Refusal(StatusCodes.Status400BadRequest,
                "Send an Idempotency-Key header (1 to 128 characters) so that a retried request is recorded once.", Title: "Idempotency-Key required").ToProblem();
        }

        if (Senders.TryGetValue(body.NoticeType, out var senders) && !senders.Any(user.IsInRole))
        {
            return new Refusal(StatusCodes.Status403Forbidden, $"A '{body.NoticeType}' notice is sent by {string.Join(", ", senders)} only.",
                Title: "Not yours to send").ToProblem();
        }

        return await s.Intake.RequestAsync(new NoticeAsk(body.NoticeType, body.SubjectIds, body.Variables), user.CallerId(), idempotencyKey, cancellationToken) switch
        {
            Outcome<NoticeRequest>.Done { Value: var request } => TypedResults.Accepted($"/v1/notices/{request.RequestId}", View(request)),
            Outcome<NoticeRequest>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    public const int MaxRequestsListed = 200;

    /// <summary>For the operators' dashboard; campaignsOnly leaves out single notices such as verification codes.</summary>
    private static async Task<Results<Ok<List<NoticeRequestView>>, ProblemHttpResult>> ListAsync(
        [AsParameters] NoticesServices s, CancellationToken cancellationToken, bool campaignsOnly = false, int limit = 50)
    {
        if (limit is < 1 or > MaxRequestsListed)
        {
            return new Refusal(StatusCodes.Status400BadRequest, $"limit is between 1 and {MaxRequestsListed}.", Title: "Bad limit").ToProblem();
        }

        var requests = await s.Db.NoticeRequests.AsNoTracking()
            .Where(r => !campaignsOnly || r.SubjectCount > 1)
            .OrderByDescending(r => r.RequestedAt).Take(limit).ToListAsync(cancellationToken);
        // Progress is counted on the request itself: one row per campaign, no count over its deliveries.
        return TypedResults.Ok(requests.Select(View).ToList());
    }

    private static async Task<Results<Ok<NoticeRequestView>, ProblemHttpResult>> GetAsync(
        Guid requestId, ClaimsPrincipal user, [AsParameters] NoticesServices s, CancellationToken cancellationToken) =>
        await OwnedBy(s.Db.NoticeRequests.AsNoTracking(), user, seeAll: [.. Staff, SuiteRoles.Service])
            .SingleOrDefaultAsync(r => r.RequestId == requestId, cancellationToken) is { } request
            ? TypedResults.Ok(View(request))
            : NoticeIntake.NoSuchRequest.ToProblem();

    /// <summary>
    /// The requests <paramref name="user"/> may see: all of them for <paramref name="seeAll"/>, else only the caller's own.
    /// Another's request is simply not found, so that its existence is not told either.
    /// </summary>
    internal static IQueryable<NoticeRequest> OwnedBy(IQueryable<NoticeRequest> requests, ClaimsPrincipal user, string[] seeAll)
    {
        if (seeAll.Any(user.IsInRole))
        {
            return requests;
        }

        var caller = user.CallerId();
        return requests.Where(r => r.Caller == caller);
    }

    // A product pauses its own campaigns; an incident's or the suite's are steered by the suite's people.
    private static async Task<Results<Ok<NoticeRequestView>, ProblemHttpResult>> SetPausedAsync(
        Guid requestId, bool paused, ClaimsPrincipal user, NoticesServices s, CancellationToken cancellationToken) =>
        await s.Intake.SetPausedAsync(requestId, paused, Staff.Any(user.IsInRole) ? null : user.CallerId(), cancellationToken) switch
        {
            Outcome<NoticeRequest>.Done { Value: var request } => TypedResults.Ok(View(request)),
            Outcome<NoticeRequest>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    private static Ok<TemplateView[]> ListTemplates() => TypedResults.Ok(NoticeTemplates.All.Values
        .Select(t => new TemplateView(t.NoticeType, t.Description,
            t.Variables.Select(v => new TemplateVariableView(v.Name, v.Kind.ToString().ToLowerInvariant(), v.Description)).ToList(),
            [NoticeTemplates.Chinese, NoticeTemplates.English]))
        .ToArray());

    private static Results<Ok<PreviewView>, ProblemHttpResult> Preview(string noticeType, PreviewRequest body, TimeProvider time)
    {
        if (!NoticeTemplates.All.TryGetValue(noticeType, out var template))
        {
            return Refusal.NotFound($"Known types: {string.Join(", ", NoticeTemplates.All.Keys)}.", title: "Unknown notice type").ToProblem();
        }

        if (body.Language is { Length: > 0 } language && NoticeTemplates.KnownLanguage(language) is null)
        {
            return new Refusal(StatusCodes.Status400BadRequest, "Use zh-CN or en, or leave it out for both.", Title: "Unknown language").ToProblem();
        }

        try
        {
            var notice = NoticeTemplates.Render(template, body.Language, body.Variables ?? new Dictionary<string, string>(), time.GetUtcNow());
            return TypedResults.Ok(new PreviewView(noticeType, notice.Language, notice.Subject, notice.Body));
        }
        catch (TemplateVariablesException e)
        {
            return NoticeIntake.VariablesRefusal(e.Errors).ToProblem();
        }
    }

    // The counts are kept on the request by whoever finishes a delivery, so a progress poll reads one row.
    internal static NoticeRequestView View(NoticeRequest request) =>
        new(
            request.RequestId,
            request.NoticeType,
            request.SubjectCount,
            request.SubjectCount - request.DeliveredCount - request.FailedCount,
            request.DeliveredCount,
            request.FailedCount,
            request.Paused,
            request.RequestedAt);
}
