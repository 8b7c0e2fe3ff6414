using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class GuardianVerificationApi
{
    /// <summary>
    /// Guardians are real (issue 18.3, IWK-3.1): a guardian confirms guardianship of a minor with a one-time code sent to
    /// the guardian's own verified contacts; the consent service redeems it, as itself, when it records the guardian's
    /// consent for the minor (and checks there that the guardian is a registered adult other than the minor).
    /// </summary>
    public static IEndpointRouteBuilder MapGuardianVerificationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/subjects/{subjectId}/guardian-verifications", StartAsync).WithTags("Subject rights").WithName("StartGuardianVerification")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Subject)
            .RequireRateLimiting(RateLimits.Verification) // the guardian's budget, shared with their other codes
            .WithSummary("Sends a code to the guardian's (the route's subject's) verified contacts that confirms guardianship of the minor named.");
        app.MapPost("/v1/guardian-verifications/{verificationId:guid}/redemption", RedeemAsync).WithTags("Suite").WithName("RedeemGuardianVerification")
            .RequireRoles(SuiteRoles.Service)
            .WithSummary("The consent service, recording a guardian's consent: spends the guardian's code if it is right, unused, unexpired and for this guardian and minor.");
        return app;
    }

    private static async Task<Results<Accepted<GuardianVerificationStarted>, ValidationProblem, ProblemHttpResult>> StartAsync(
        string subjectId, GuardianVerificationRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        return await verifications.StartGuardianshipAsync(subjectId, request.MinorSubjectId, s.Accessor, ct) switch
        {
            Outcome<Verification>.Done d => TypedResults.Accepted((string?)null,
                new GuardianVerificationStarted(d.Value.VerificationId, subjectId, request.MinorSubjectId, d.Value.ExpiresAt)),
            Outcome<Verification>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    private static async Task<Results<Ok<GuardianshipVerified>, ValidationProblem, ProblemHttpResult>> RedeemAsync(
        Guid verificationId, GuardianshipRedemption request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct) =>
        await verifications.RedeemGuardianshipAsync(request.GuardianId, request.MinorSubjectId, verificationId, request.Code, s.Accessor, ct) switch
        {
            null => TypedResults.Ok(new GuardianshipVerified(verificationId, request.GuardianId, request.MinorSubjectId)),
            var (status, reason) => Problems.Refused(status, reason,
                "The guardianship was not verified: the guardian asks for a new code (POST /v1/subjects/{guardianId}/guardian-verifications) and sends it with the consent."),
        };
}
