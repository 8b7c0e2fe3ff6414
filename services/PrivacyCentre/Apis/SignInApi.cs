using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using PrivacySuite.PrivacyCentre.Extensions;

namespace PrivacySuite.PrivacyCentre.Apis;

/// <summary>Where the code goes: the contact the person typed, as one of their verified contacts.</summary>
public sealed record SignInRequest(
    [property: Required, RegularExpression("^(email|phone)$")] string Field,
    [property: Required, StringLength(256, MinimumLength = 3)] string Value);

public sealed record CodeRequest([property: Required, RegularExpression("^[0-9]{6}$")] string Code);

/// <summary>The vault's answer to a right code, as far as the centre reads it.</summary>
internal sealed record VaultSignedIn(string SubjectId);

/// <summary>Who is signed in, and the minor they act for as guardian, if any.</summary>
public sealed record SessionView(string SubjectId, string? ActingFor);

/// <summary>
/// Sign-in with a one-time code (INF-6.3): the vault sends it to the typed contact if it is someone's verified contact,
/// and answers the same either way; the code it then accepts names the person, whom the centre signs in with a cookie.
/// </summary>
public static class SignInApi
{
    public static IEndpointRouteBuilder MapSignInApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Sign-in");
        api.MapPost("/sign-in", StartAsync).AllowAnonymous().RequireRateLimiting(PrivacyCentreExtensions.AnonymousLimit).WithName("StartSignIn")
            .WithSummary("Asks the vault to send a one-time code to the contact typed, if it is a person's verified contact (the answer is the same if not).");
        api.MapPost("/sign-in/{signInId:guid}/code", RedeemAsync).AllowAnonymous().RequireRateLimiting(PrivacyCentreExtensions.AnonymousLimit)
            .WithName("EnterSignInCode").WithSummary("Signs the person in with the code they received.");
        api.MapPost("/sign-out", SignOutAsync).WithName("SignOut").WithSummary("Ends the session.");
        api.MapGet("/session", (Me me) => TypedResults.Ok(new SessionView(me.Self, me.Ward)))
            .WithName("Session").WithSummary("Who is signed in; 401 otherwise.");
        return app;
    }

    private static async Task<IResult> StartAsync(SignInRequest request, HttpContext context, SuiteClient suite, CancellationToken ct) =>
        (await suite.SendAnonymousAsync("vault", HttpMethod.Post, "/v1/sign-in", context.Connection.RemoteIpAddress,
            new { field = request.Field, value = request.Value.Trim() }, ct)).ToResult();

    private static async Task<IResult> RedeemAsync(Guid signInId, CodeRequest request, HttpContext context, SuiteClient suite, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var logger = loggers.CreateLogger("PrivacySuite.PrivacyCentre.SignIn");
        var answer = await suite.SendAnonymousAsync("vault", HttpMethod.Post, $"/v1/sign-in/{signInId}/redemption", context.Connection.RemoteIpAddress,
            new { code = request.Code }, ct);
        if (!answer.IsSuccess || answer.Read<VaultSignedIn>() is not { SubjectId.Length: > 0 } signedIn)
        {
            Log.SignInRefused(logger);
            return answer.ToResult();
        }

        await GuardianApi.SignInAsync(context, signedIn.SubjectId, ward: null);
        Log.SignedIn(logger);
        return TypedResults.Ok(new SessionView(signedIn.SubjectId, null));
    }

    private static async Task<NoContent> SignOutAsync(HttpContext context, ILoggerFactory loggers)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        Log.SignedOut(loggers.CreateLogger("PrivacySuite.PrivacyCentre.SignIn"));
        return TypedResults.NoContent();
    }
}
