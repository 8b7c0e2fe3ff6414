using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

/// <summary>The on-call pages (issue 21.5): what is open, and the acknowledgement that stops a page's rounds.</summary>
public static class PagesApi
{
    private const int MaxListed = 100;

    public static IEndpointRouteBuilder MapPagesApi(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/v1/pages").WithTags("On-call pages");
        // Operators watch the pages with the on-call team; only the on-call team answers them.
        pages.MapGet("/", ListAsync).WithName("ListPages").RequireRoles(SuiteRoles.OnCall, SuiteRoles.Operator)
            .WithSummary("The newest pages, open ones (not acknowledged) first; ?state=open or ?state=acknowledged to filter.");
        pages.MapGet("/{pageId:guid}", GetAsync).WithName("GetPage").RequireRoles(SuiteRoles.OnCall, SuiteRoles.Operator)
            .WithSummary("A page with each round's delivery.");
        pages.MapPost("/{pageId:guid}/acknowledgement", AcknowledgeAsync).WithName("AcknowledgePage").RequireRoles(SuiteRoles.OnCall)
            .WithSummary("Stops the page's rounds; names the caller as the one who took it. Acknowledging again answers the first acknowledgement.");
        return app;
    }

    private static async Task<Results<Ok<List<PageView>>, ProblemHttpResult>> ListAsync(string? state, NotificationsDbContext db, CancellationToken cancellationToken)
    {
        if (state is not (null or "open" or "acknowledged"))
        {
            return new Refusal(StatusCodes.Status400BadRequest, "state is 'open' or 'acknowledged', or left out for every page.", Title: "Invalid state").ToProblem();
        }

        var query = db.OnCallPages.AsNoTracking();
        if (state is not null)
        {
            query = state == "open" ? query.Where(p => p.AcknowledgedAt == null) : query.Where(p => p.AcknowledgedAt != null);
        }

        var pages = await query.OrderBy(p => p.AcknowledgedAt != null).ThenByDescending(p => p.RaisedAt).Take(MaxListed).ToListAsync(cancellationToken);
        return TypedResults.Ok(await ViewsAsync(db, pages, cancellationToken));
    }

    private static async Task<Results<Ok<PageView>, ProblemHttpResult>> GetAsync(Guid pageId, NotificationsDbContext db, CancellationToken cancellationToken) =>
        await db.OnCallPages.AsNoTracking().SingleOrDefaultAsync(p => p.PageId == pageId, cancellationToken) is { } page
            ? TypedResults.Ok((await ViewsAsync(db, [page], cancellationToken))[0])
            : NotFound();

    private static async Task<Results<Ok<PageView>, ProblemHttpResult>> AcknowledgeAsync(
        Guid pageId, ClaimsPrincipal user, Paging paging, NotificationsDbContext db, CancellationToken cancellationToken) =>
        await paging.AcknowledgeAsync(pageId, user.CallerId(), cancellationToken) is { } page
            ? TypedResults.Ok((await ViewsAsync(db, [page], cancellationToken))[0])
            : NotFound();

    /// <summary>The pages with their rounds' deliveries, read in one query (each round is a notice request of its own).</summary>
    private static async Task<List<PageView>> ViewsAsync(NotificationsDbContext db, IReadOnlyList<OnCallPage> pages, CancellationToken cancellationToken)
    {
        var rounds = pages.SelectMany(p => Enumerable.Range(1, p.Rounds).Select(round => (p.PageId, Round: round)))
            .ToDictionary(r => Paging.RoundId(r.PageId, r.Round));
        var roundIds = rounds.Keys.ToList();
        var deliveries = (await db.Deliveries.AsNoTracking().Where(d => roundIds.Contains(d.RequestId))
                .Select(d => new { d.RequestId, d.SubjectId, d.Status, d.Channel, d.Reason }).ToListAsync(cancellationToken))
            .ToLookup(d => rounds[d.RequestId].PageId);
        return pages.Select(page => new PageView(page.PageId, page.Kind, page.Reference, page.WhatEn, page.RaisedAt, page.Rounds,
                page.AcknowledgedAt is null ? page.NextRoundAt : null, page.AcknowledgedAt, page.AcknowledgedBy,
                deliveries[page.PageId].Select(d => new PageDeliveryView(rounds[d.RequestId].Round, OnCallOptions.HandleOf(d.SubjectId) ?? d.SubjectId, d.Status, d.Channel, d.Reason))
                    .OrderBy(d => d.Round).ThenBy(d => d.Responder, StringComparer.Ordinal).ToList()))
            .ToList();
    }

    private static ProblemHttpResult NotFound() => Refusal.NotFound("Check the page id from the page itself or from GET /v1/pages.", title: "No such page").ToProblem();
}
