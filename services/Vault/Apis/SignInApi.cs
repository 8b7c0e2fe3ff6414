using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Claims;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class SignInApi
{
    public const int MaxCodeLength = 16;

    /// <summary>
    /// The privacy centre's sign-in (INF-6.3, issue 20): anonymous, since the person has no token yet. A code goes only to
    /// the verified contact typed; neither route tells whether an address is known. Limited per client address and per
    /// address signed in with (docs/security.md, "Rate limits").
    /// </summary>
    public static IEndpointRouteBuilder MapSignInApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/sign-in", StartAsync).WithTags("Sign-in").WithName("StartSignIn").AllowAnonymous().RequireRateLimiting(RateLimits.SignIn)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Sends a one-time code to the e-mail address or phone number typed if it is a subject's verified contact; answers alike either way.");
        app.MapPost("/v1/sign-in/{signInId:guid}/redemption", RedeemAsync).WithTags("Sign-in").WithName("RedeemSignIn").AllowAnonymous()
            .RequireRateLimiting(RateLimits.SignIn)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Redeems a sign-in's code once: the subject it proves; one refusal (401 sign-in-refused) for every failure.");
        return app;
    }

    private static async Task<Results<Accepted<SignInAccepted>, ValidationProblem, ProblemHttpResult>> StartAsync(
        SignInRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, SignInAddressLimiter limiter, HttpResponse response,
        CancellationToken ct)
    {
        if (request.Field is not ("email" or "phone"))
        {
            return RequestProblems.Invalid("field", "Either 'email' or 'phone': the verified contact the code is to go to.");
        }

        if (string.IsNullOrWhiteSpace(request.Value) || request.Value.Length > VaultService.MaxValueLength)
        {
            return RequestProblems.Invalid("value", $"The address or number, 1-{VaultService.MaxValueLength} characters.");
        }

        if (request.Field == "email" ? !request.Value.Contains('@') : !request.Value.Any(char.IsAsciiDigit))
        {
            return RequestProblems.Invalid("value", request.Field == "email" ? "An e-mail address has an '@'." : "A phone number has digits.");
        }

        // Counted whether or not the address is known, by its keyed hash: a 429 says nothing about who is.
        if (limiter.Acquire(s.Vault.LookupFor(request.Field, request.Value)!) is { } wait)
        {
            return RateLimits.TooMany(response, wait);
        }

        var clock = Stopwatch.StartNew();
        var started = await verifications.StartSignInAsync(request.Field, request.Value, Accessor(s.User), ct);
        // A known address costs a transaction more than an unknown one; the answer takes at least this long either way,
        // so that its time does not tell them apart. Wall time, not the TimeProvider: it is the caller's clock that counts.
        if (s.Options.Value.SignInMinimumAnswerTime - clock.Elapsed is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, ct);
        }

        return TypedResults.Accepted((string?)null, new SignInAccepted(started.SignInId, started.ExpiresAt));
    }

    private static async Task<Results<Ok<SignedInView>, ValidationProblem, ProblemHttpResult>> RedeemAsync(
        Guid signInId, SignInRedemption request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Code) || request.Code.Length > MaxCodeLength)
        {
            return RequestProblems.Invalid("code", $"The code sent, 1-{MaxCodeLength} characters.");
        }

        return await verifications.RedeemSignInAsync(signInId, request.Code, Accessor(s.User), ct) switch
        {
            Outcome<SignedIn>.Done { Value: var d } => TypedResults.Ok(new SignedInView(d.SubjectId, d.SignedInAt)),
            Outcome<SignedIn>.Refused { Why: var r } => Problems.Refused(r, "Sign-in refused"),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    /// <summary>Who signs in, as the access log names them: nobody yet, unless a token came along.</summary>
    private static string Accessor(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.CallerId() : "anonymous";
}
