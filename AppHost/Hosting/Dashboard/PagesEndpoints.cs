using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>The page and its assets (embedded, no CDN), and the login that turns the printed token into a cookie.</summary>
public static class PagesEndpoints
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new()
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/app.css"] = ("app.css", "text/css; charset=utf-8"),
        ["/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/favicon.svg"] = ("favicon.svg", "image/svg+xml"),
    };

    public static IEndpointRouteBuilder MapDashboardPages(this IEndpointRouteBuilder app)
    {
        foreach (var (path, (resource, contentType)) in Assets)
        {
            var bytes = Load(resource);
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
        using var stream = typeof(PagesEndpoints).Assembly.GetManifestResourceStream("dashboard/" + name)
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
