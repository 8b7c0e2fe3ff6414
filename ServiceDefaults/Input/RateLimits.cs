using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Domain;

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

    /// <summary>
    /// Sign-ins that may be started for one address (e-mail or phone number) in <see cref="SignInWindow"/>, from anywhere,
    /// whether the address is known or not: each may send a code to a person.
    /// </summary>
    public int SignInsPerAddress { get; set; } = 5;

    /// <summary>Requests to the sign-in routes (starts and redemptions together) from one client address in <see cref="SignInWindow"/>.</summary>
    public int SignInRequestsPerClient { get; set; } = 30;

    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Explicit limits on what a hostile or careless caller can repeat: every route a person or an anonymous caller reaches,
/// the start of a verification (each sends a code to someone), lookups (each confirms whether a contact is known), and
/// sign-ins (each may send a code, and each redemption is a guess), per client address and per address signed in with.
/// Product backends, officers, operators and services are not limited on other routes: they are few and known, and the
/// consent check is their hot path. Over a limit the answer is 429 problem details with Retry-After.
/// </summary>
public static class RateLimits
{
    private const string TooManyTitle = "Too many requests";

    /// <summary>Policy for routes that start a verification (the subject id is the route's <c>subjectId</c>).</summary>
    public const string Verification = "verification";

    /// <summary>Policy for routes that look up tokens by a contact.</summary>
    public const string Lookup = "lookup";

    /// <summary>
    /// Policy for the anonymous sign-in routes: one budget per client address for starts and redemptions together. The
    /// per-address (e-mail, phone) budget is <see cref="SignInAddressLimiter"/>, which the route applies once it has read the body.
    /// </summary>
    public const string SignIn = "sign-in";

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
            o.AddPolicy(SignIn, http => RateLimitPartition.GetFixedWindowLimiter(
                $"client:{http.Connection.RemoteIpAddress}",
                _ => Window(Limits(http).SignInRequestsPerClient, Limits(http).SignInWindow)));
            o.OnRejected = RejectAsync;
        });
        services.AddSingleton<SignInAddressLimiter>();
        return services;
    }

    /// <summary>The answer over a limit a route checks itself: 429 problem details with Retry-After, as the middleware's.</summary>
    public static ProblemHttpResult TooMany(HttpResponse response, TimeSpan retryAfter)
    {
        var seconds = Seconds(retryAfter);
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TooManyRefusal(seconds).ToProblem();
    }

    internal static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

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

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        var seconds = Seconds(retryAfter);
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = TooManyRefusal(seconds).ToProblemDetails(),
        });
    }

    private static Refusal TooManyRefusal(int seconds) => new(StatusCodes.Status429TooManyRequests, TooManyDetail(seconds), Title: TooManyTitle);

    private static int Seconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    private static string TooManyDetail(int seconds) => $"This caller has reached the limit of this route (docs/security.md). Try again in {seconds} s.";
}

/// <summary>
/// The sign-ins one address (an e-mail address or a phone number) may start in a window, counted in memory per instance
/// like the middleware's limits. A policy of the middleware cannot count it: it runs before the body, which names the
/// address, is read. The key is the caller's keyed hash of the normalised address (the vault's lookup token), never the
/// address, and it is counted whether or not the address is known, so that a 429 says nothing about who is.
/// </summary>
public sealed class SignInAddressLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => RateLimits.Window(options.Value.SignInsPerAddress, options.Value.SignInWindow)));

    /// <summary>Takes one sign-in of the address's budget; null when there was one, else how long until the window ends.</summary>
    public TimeSpan? Acquire(string addressKey)
    {
        using var lease = _limiter.AttemptAcquire(addressKey);
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.Value.SignInWindow;
    }

    public void Dispose() => _limiter.Dispose();
}
