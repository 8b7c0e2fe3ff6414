using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

/// <summary>A page and where its rounds stand: who was paged on which channel, and who acknowledged it.</summary>
public sealed record PageView(
    Guid PageId,
    string Kind,
    string Reference,
    string What,
    DateTimeOffset RaisedAt,
    int Rounds,
    DateTimeOffset? NextRoundAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    IReadOnlyList<PageDeliveryView> Deliveries);

/// <summary>One round's delivery to one responder (by handle): pending, delivered on a channel, or failed and why.</summary>
public sealed record PageDeliveryView(int Round, string Responder, string Status, string? Channel, string? Reason);

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
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid state",
                detail: "state is 'open' or 'acknowledged', or left out for every page.");
        }

        var query = db.OnCallPages.AsNoTracking();
        if (state is not null)
        {
            query = state == "open" ? query.Where(p => p.AcknowledgedAt == null) : query.Where(p => p.AcknowledgedAt != null);
        }

        var pages = await query.OrderBy(p => p.AcknowledgedAt != null).ThenByDescending(p => p.RaisedAt).Take(MaxListed).ToListAsync(cancellationToken);
        var views = new List<PageView>(pages.Count);
        foreach (var page in pages)
        {
            views.Add(await ViewAsync(db, page, cancellationToken));
        }

        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<PageView>, ProblemHttpResult>> GetAsync(Guid pageId, NotificationsDbContext db, CancellationToken cancellationToken) =>
        await db.OnCallPages.AsNoTracking().SingleOrDefaultAsync(p => p.PageId == pageId, cancellationToken) is { } page
            ? TypedResults.Ok(await ViewAsync(db, page, cancellationToken))
            : NotFound();

    private static async Task<Results<Ok<PageView>, ProblemHttpResult>> AcknowledgeAsync(
        Guid pageId, ClaimsPrincipal user, Paging paging, NotificationsDbContext db, CancellationToken cancellationToken)
    {
        var by = user.CallerId();
        return await paging.AcknowledgeAsync(pageId, by, cancellationToken) is { } page
            ? TypedResults.Ok(await ViewAsync(db, page, cancellationToken))
            : NotFound();
    }

    private static async Task<PageView> ViewAsync(NotificationsDbContext db, OnCallPage page, CancellationToken cancellationToken)
    {
        var rounds = Enumerable.Range(1, page.Rounds).ToDictionary(round => Paging.RoundId(page.PageId, round));
        var roundIds = rounds.Keys.ToList();
        var deliveries = await db.Deliveries.AsNoTracking().Where(d => roundIds.Contains(d.RequestId))
            .Select(d => new { d.RequestId, d.SubjectId, d.Status, d.Channel, d.Reason }).ToListAsync(cancellationToken);
        return new PageView(page.PageId, page.Kind, page.Reference, page.WhatEn, page.RaisedAt, page.Rounds,
            page.AcknowledgedAt is null ? page.NextRoundAt : null, page.AcknowledgedAt, page.AcknowledgedBy,
            deliveries.Select(d => new PageDeliveryView(rounds[d.RequestId], d.SubjectId["on-call/".Length..], d.Status, d.Channel, d.Reason))
                .OrderBy(d => d.Round).ThenBy(d => d.Responder, StringComparer.Ordinal).ToList());
    }

    private static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such page",
        detail: "Check the page id from the page itself or from GET /v1/pages.");
}
