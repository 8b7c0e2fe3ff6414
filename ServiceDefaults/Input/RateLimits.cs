using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.ServiceDefaults.Input;

/// <summary>Configuration section <c>PrivacySuite:RateLimits</c>; the defaults are the documented limits (docs/security.md).</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "PrivacySuite:RateLimits";

    /// <summary>Requests a minute from one person (their token's subject) or one anonymous address, on any route.</summary>
    public int PersonRequestsPerMinute { get; set; } = 120;

    /// <summary>One-time codes that may be started for one subject in <see cref="VerificationWindow"/>, whoever asks.</summary>
    public int VerificationsPerSubject { get; set; } = 5;

    public TimeSpan VerificationWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Lookups of tokens by e-mail address or phone number a minute, per caller.</summary>
    public int LookupsPerMinute { get; set; } = 300;
}

/// <summary>
/// Explicit limits on what a hostile or careless caller can repeat: every route a person or an anonymous caller reaches,
/// the start of a verification (each sends a code to someone), and lookups (each confirms whether a contact is known).
/// Product backends, officers, operators and services are not limited on other routes: they are few and known, and the
/// consent check is their hot path. Over a limit the answer is 429 problem details with Retry-After.
/// </summary>
public static class RateLimits
{
    /// <summary>Policy for routes that start a verification (the subject id is the route's <c>subjectId</c>).</summary>
    public const string Verification = "verification";

    /// <summary>Policy for routes that look up tokens by a contact.</summary>
    public const string Lookup = "lookup";

    public static IServiceCollection AddSuiteRateLimits(this IServiceCollection services)
    {
        // Read when a limiter is made, not at registration: test hosts add their configuration late.
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName);
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => PersonPartition(http) is { } person
                ? RateLimitPartition.GetFixedWindowLimiter(person, _ => Window(Limits(http).PersonRequestsPerMinute, TimeSpan.FromMinutes(1)))
                : RateLimitPartition.GetNoLimiter(""));
            o.AddPolicy(Verification, http => RateLimitPartition.GetFixedWindowLimiter(
                http.GetRouteValue("subjectId")?.ToString() ?? "",
                _ => Window(Limits(http).VerificationsPerSubject, Limits(http).VerificationWindow)));
            o.AddPolicy(Lookup, http => RateLimitPartition.GetFixedWindowLimiter(
                http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
                _ => Window(Limits(http).LookupsPerMinute, TimeSpan.FromMinutes(1))));
            o.OnRejected = RejectAsync;
        });
        return services;
    }

    private static RateLimitOptions Limits(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;

    /// <summary>A person's own token (by subject) or an unauthenticated caller (by address); null for everyone else.</summary>
    private static string? PersonPartition(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return $"address:{http.Connection.RemoteIpAddress}";
        }

        return http.User.IsInRole(SuiteRoles.Subject) ? $"subject:{http.User.FindFirstValue(ClaimTypes.NameIdentifier)}" : null;
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This caller has reached the limit of this route (docs/security.md). Try again in {seconds} s.",
            },
        });
    }
}
