using System.Xml.Linq;
using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Apis;

public static class BulletinsApi
{
    public const int MaxListed = 100;
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    public static IEndpointRouteBuilder MapBulletinsApi(this IEndpointRouteBuilder app)
    {
        var bulletins = app.MapGroup("/v1/bulletins").WithTags("Bulletin")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(NoticesApi.MaxSmallBodyBytes));
        bulletins.MapPost("/", PublishAsync).WithName("PublishBulletin")
            .WithSummary("Publishes a public announcement, for when telling each person is hard or not enough.")
            // What the public is told is decided by those who answer for it (incidents, policy), not by who runs the machines.
            .RequireRoles(SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer, SuiteRoles.Service);

        // The bulletin is public: anyone, signed in or not, must be able to read it.
        bulletins.MapGet("/", ListAsync).WithName("ListBulletins").WithSummary("Announcements, newest first.").AllowAnonymous();
        bulletins.MapGet("/{bulletinId:guid}", GetAsync).WithName("GetBulletin").WithSummary("One announcement.").AllowAnonymous();
        bulletins.MapGet("/feed.atom", FeedAsync).WithName("BulletinFeed")
            .WithSummary("The announcements as an Atom feed (lang=zh-CN, the default, or en).").AllowAnonymous();
        return app;
    }

    private static async Task<Results<Created<BulletinView>, ProblemHttpResult>> PublishAsync(
        PublishBulletinRequest body, Bulletins bulletins, TimeProvider time, CancellationToken cancellationToken) =>
        await bulletins.PublishAsync(MassTransit.NewId.NextGuid(), body.NoticeType, body.Variables, time.GetUtcNow(), cancellationToken) switch
        {
            Outcome<Bulletin>.Done { Value: var bulletin } => TypedResults.Created($"/v1/bulletins/{bulletin.BulletinId}", View(bulletin)),
            Outcome<Bulletin>.Refused { Why: var why } => why.ToProblem(),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    private static async Task<Results<Ok<BulletinView[]>, ProblemHttpResult>> ListAsync(
        NotificationsDbContext db, CancellationToken cancellationToken, int limit = 20)
    {
        if (limit is < 1 or > MaxListed)
        {
            return new Refusal(StatusCodes.Status400BadRequest, $"limit must be between 1 and {MaxListed}.", Title: "Invalid limit").ToProblem();
        }

        var list = await db.Bulletins.AsNoTracking().OrderByDescending(b => b.PublishedAt).Take(limit).ToListAsync(cancellationToken);
        return TypedResults.Ok(list.Select(View).ToArray());
    }

    private static async Task<Results<Ok<BulletinView>, ProblemHttpResult>> GetAsync(
        Guid bulletinId, NotificationsDbContext db, CancellationToken cancellationToken) =>
        await db.Bulletins.AsNoTracking().SingleOrDefaultAsync(b => b.BulletinId == bulletinId, cancellationToken) is { } bulletin
            ? TypedResults.Ok(View(bulletin))
            : Refusal.NotFound("List the announcements at /v1/bulletins.", title: "No such announcement").ToProblem();

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> FeedAsync(
        HttpRequest request, NotificationsDbContext db, CancellationToken cancellationToken, string? lang = null)
    {
        var language = lang is null ? NoticeTemplates.Chinese : NoticeTemplates.KnownLanguage(lang);
        if (language is null)
        {
            return new Refusal(StatusCodes.Status400BadRequest, "Use lang=zh-CN or lang=en.", Title: "Unknown language").ToProblem();
        }

        var list = await db.Bulletins.AsNoTracking().OrderByDescending(b => b.PublishedAt).Take(MaxListed).ToListAsync(cancellationToken);
        var self = $"{request.Scheme}://{request.Host}{request.PathBase}/v1/bulletins";
        var chinese = language == NoticeTemplates.Chinese;
        var feed = new XElement(Atom + "feed",
            new XAttribute(XNamespace.Xml + "lang", language),
            new XElement(Atom + "id", "urn:privacysuite:bulletin"),
            new XElement(Atom + "title", chinese ? "公告" : "Announcements"),
            new XElement(Atom + "updated", (list.FirstOrDefault()?.PublishedAt ?? DateTimeOffset.UnixEpoch).ToString("o")),
            new XElement(Atom + "link", new XAttribute("rel", "self"), new XAttribute("href", $"{self}/feed.atom?lang={language}")),
            new XElement(Atom + "author", new XElement(Atom + "name", "PrivacySuite")),
            list.Select(b => new XElement(Atom + "entry",
                new XElement(Atom + "id", $"urn:uuid:{b.BulletinId}"),
                new XElement(Atom + "title", chinese ? b.TitleZh : b.TitleEn),
                new XElement(Atom + "updated", b.PublishedAt.ToString("o")),
                new XElement(Atom + "published", b.PublishedAt.ToString("o")),
                new XElement(Atom + "link", new XAttribute("href", $"{self}/{b.BulletinId}")),
                new XElement(Atom + "content", new XAttribute("type", "text"), chinese ? b.BodyZh : b.BodyEn))));
        return TypedResults.Text(new XDocument(new XDeclaration("1.0", "utf-8", null), feed).Declaration + "\n" + feed, "application/atom+xml; charset=utf-8");
    }

    private static BulletinView View(Bulletin b) =>
        new(b.BulletinId, b.NoticeType, new(b.TitleZh, b.BodyZh), new(b.TitleEn, b.BodyEn), b.PublishedAt);
}
