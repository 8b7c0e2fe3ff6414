using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>The page and its assets (embedded, no CDN), and the login that turns the printed token into a cookie.</summary>
public static class PagesEndpoints
{
    private const string ResourcePrefix = "dashboard/";
    private const string ViewsPlaceholder = "<!-- views -->";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>
    /// Every embedded file under wwwroot at its own path, and the page at /. The page gets one script tag per file in
    /// views/, in name order: a new view is a new file there, with no list to edit.
    /// </summary>
    public static IEndpointRouteBuilder MapDashboardPages(this IEndpointRouteBuilder app)
    {
        var assembly = typeof(PagesEndpoints).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var views = names.Where(n => n.StartsWith(ResourcePrefix + "views/", StringComparison.Ordinal) && n.EndsWith(".js", StringComparison.Ordinal))
            .Select(n => $"<script src=\"/{n[ResourcePrefix.Length..]}\"></script>");
        foreach (var name in names)
        {
            var path = "/" + name[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(path), out var contentType))
            {
                continue;
            }

            var bytes = Load(name);
            if (path == "/index.html")
            {
                path = "/";
                bytes = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes).Replace(ViewsPlaceholder, string.Join("\n  ", views), StringComparison.Ordinal));
            }

            app.MapGet(path, (HttpContext context) =>
            {
                context.Response.Headers.CacheControl = "no-cache";
                context.Response.Headers["X-Content-Type-Options"] = "nosniff";
                context.Response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'";
                return TypedResults.Bytes(bytes, contentType);
            });
        }

        return app;
    }

    public static IEndpointRouteBuilder MapLogin(this IEndpointRouteBuilder app)
    {
        // The URL the AppHost prints, as Aspire's does: sets the cookie and goes to the dashboard.
        app.MapGet("/login", Results<RedirectHttpResult, ProblemHttpResult> (string? t, HttpContext context, DashboardAuth auth) =>
        {
            if (!auth.IsValidToken(t))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong dashboard token",
                    detail: "Use the login URL or the token the AppHost printed at start; it changes on every run.");
            }

            auth.SignIn(context);
            return TypedResults.Redirect("/");
        });

        // Lets the page know whether to show the login form.
        app.MapGet("/api/session", Results<NoContent, ProblemHttpResult> (HttpContext context, DashboardAuth auth) =>
            auth.IsAuthenticated(context)
                ? TypedResults.NoContent()
                : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Dashboard token required",
                    detail: "Open the login URL the AppHost printed at start."));

        app.MapPost("/api/login", Results<NoContent, ProblemHttpResult> (LoginRequest request, HttpContext context, DashboardAuth auth) =>
        {
            if (string.IsNullOrWhiteSpace(request.Token) || request.Token.Length > LoginRequest.MaxTokenLength)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Token missing",
                    detail: $"Send {{\"token\": \"…\"}} with the token the AppHost printed (at most {LoginRequest.MaxTokenLength} characters).");
            }

            if (!auth.IsValidToken(request.Token))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong dashboard token",
                    detail: "Use the token the AppHost printed at start; it changes on every run.");
            }

            auth.SignIn(context);
            return TypedResults.NoContent();
        });
        return app;
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(PagesEndpoints).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}

public sealed record LoginRequest([property: MaxLength(LoginRequest.MaxTokenLength)] string? Token)
{
    public const int MaxTokenLength = 256;
}
