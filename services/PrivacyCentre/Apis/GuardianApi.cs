using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using PrivacySuite.ServiceDefaults.Domain;

namespace PrivacySuite.PrivacyCentre.Apis;

public sealed record ActForRequest([property: Required, RegularExpression(Patterns.SubjectId)] string SubjectId);

/// <summary>A minor in the person's care, as consent answers it.</summary>
internal sealed record Ward(string SubjectId, string PolicyId, bool NeedsGuardianConsent);

/// <summary>
/// A guardian acts for a minor in their care (IWK-3.1): the minors whose consent they gave as guardian (consent's
/// wards), one of whom they choose to act for while it still needs a guardian's consent; the session then names the
/// minor, and each call carries the minor's token with the guardian as its actor. A consent for the minor takes a code
/// sent to the guardian's own verified contact, redeemed by consent as for any guardian's consent.
/// </summary>
public static class GuardianApi
{
    public static IEndpointRouteBuilder MapGuardianApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Guardian");
        api.MapGet("/wards", async (Me me, CancellationToken ct) =>
                (await me.SendAsSelfAsync("consent", HttpMethod.Get, $"/v1/subjects/{me.Self}/wards", null, ct)).ToResult())
            .WithSummary("The minors in the person's care: those whose consent they gave as guardian.");
        api.MapPost("/acting-for", ActForAsync)
            .WithSummary("Acts for a minor in the person's care, who still needs a guardian's consent (403 otherwise).");
        api.MapDelete("/acting-for", async (Me me, HttpContext context) =>
            {
                await SignInAsync(context, me.Self, null);
                return TypedResults.Ok(new SessionView(me.Self, null));
            })
            .WithSummary("Goes back to the person's own account.");
        api.MapPost("/guardian-codes", async (Me me, CancellationToken ct) => me.Ward is { } ward
                ? (await me.SendAsSelfAsync("vault", HttpMethod.Post, $"/v1/subjects/{me.Self}/guardian-verifications", new { minorSubjectId = ward }, ct)).ToResult()
                : new Refusal(StatusCodes.Status409Conflict, "A guardian's code is for a consent given for a minor: act for the minor first.",
                    "not-acting-for-ward", Title: "Not acting for anyone").ToProblem())
            .WithSummary("Sends a code to the guardian's own verified contact, for a consent they give for the minor they act for.");
        return app;
    }

    private static async Task<IResult> ActForAsync(ActForRequest request, Me me, HttpContext context, CancellationToken ct)
    {
        var answer = await me.SendAsSelfAsync("consent", HttpMethod.Get, $"/v1/subjects/{me.Self}/wards", null, ct);
        if (!answer.IsSuccess)
        {
            return answer.ToResult();
        }

        if (answer.Read<List<Ward>>()?.SingleOrDefault(w => w.SubjectId == request.SubjectId) is not { NeedsGuardianConsent: true } ward)
        {
            return new Refusal(StatusCodes.Status403Forbidden,
                "You can act only for a minor whose consent you gave as guardian, while they still need a guardian's consent.", "not-your-ward",
                Title: "Not in your care").ToProblem();
        }

        await SignInAsync(context, me.Self, ward.SubjectId);
        return TypedResults.Ok(new SessionView(me.Self, ward.SubjectId));
    }

    /// <summary>Issues the session cookie for <paramref name="subjectId"/>, acting for <paramref name="ward"/> when given.</summary>
    internal static Task SignInAsync(HttpContext context, string subjectId, string? ward)
    {
        List<Claim> claims = [new(ClaimTypes.NameIdentifier, subjectId)];
        if (ward is not null)
        {
            claims.Add(new Claim(Me.WardClaim, ward));
        }

        return context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
    }
}
