using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using PrivacySuite.ServiceDefaults.Domain;

namespace PrivacySuite.Operations.Apis;

public sealed record LoginRequest([property: Required, StringLength(256)] string Password);

public static class SessionApi
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Session");
        api.MapPost("/login", LoginAsync).AllowAnonymous().WithName("Login")
            .WithSummary("Signs an operator in with the console's password; five wrong ones a minute and the client waits (429).");
        api.MapPost("/logout", LogoutAsync).WithName("Logout").WithSummary("Signs the operator out.");
        api.MapGet("/session", () => TypedResults.NoContent()).WithName("Session").WithSummary("204 while signed in, 401 otherwise.");
        return app;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> LoginAsync(
        LoginRequest request, HttpContext context, LoginThrottle throttle, IOptions<OperationsOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("PrivacySuite.Operations.Session");
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(client) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            Log.LoginThrottled(logger, client, seconds);
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new Refusal(StatusCodes.Status429TooManyRequests, $"Too many wrong passwords from this address: try again in {seconds} s.",
                Title: "Too many failed sign-ins").ToProblem();
        }

        if (!CryptographicOperations.FixedTimeEquals(Hash(request.Password ?? ""), Hash(options.Value.Password)))
        {
            throttle.Failed(client);
            Log.LoginRefused(logger, client);
            return new Refusal(StatusCodes.Status401Unauthorized,
                "That is not the operations console's password (the suite's state folder holds it: secrets.json, operations-password).",
                Title: "Wrong password").ToProblem();
        }

        throttle.Succeeded(client);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        Log.SignedIn(logger, client);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> LogoutAsync(HttpContext context, ILoggerFactory loggers)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        loggers.CreateLogger("PrivacySuite.Operations.Session").LogInformation("Operator signed out");
        return TypedResults.NoContent();
    }

    // Equal-length digests, so the comparison takes the same time whatever was typed.
    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
