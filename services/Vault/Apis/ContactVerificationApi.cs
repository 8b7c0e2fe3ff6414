using System.ComponentModel.DataAnnotations;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class ContactVerificationApi
{
    /// <summary>
    /// Verified contacts (issue 18.4): one-time codes go only to a contact the subject proved control of. A new or
    /// changed contact value is proven with a code sent to it; a change is also confirmed through the verified contact or
    /// with the subject's own token. Overwriting a contact field (POST /data) changes where notices go, never where codes go.
    /// </summary>
    public static IEndpointRouteBuilder MapContactVerificationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/subjects/{subjectId}").WithTags("Subject rights")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Subject, SuiteRoles.PrivacyOfficer);
        api.MapPost("/contact-verifications", StartAsync).WithName("StartContactVerification").RequireRateLimiting(RateLimits.Verification)
            .WithSummary("Sends a code to the value a contact field holds now; for a change, also one to the verified contact unless the subject's own token asks.");
        api.MapPost("/verified-contacts", VerifyAsync).WithName("VerifyContact")
            .WithSummary("Completes a contact's proof with its code (and the confirmation): the value proven becomes the verified contact codes go to.");
        return app;
    }

    private static async Task<Results<Accepted<ContactVerificationStarted>, ValidationProblem, ProblemHttpResult>> StartAsync(
        string subjectId, ContactVerificationRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (!ContactFields.IsKnown(request.Field))
        {
            return RequestProblems.Invalid("field", "email, phone or push: the contact field whose current value is to be verified.");
        }

        return await verifications.StartContactAsync(subjectId, request.Field, SubjectRightsApi.OwnToken(subjectId, s.User), s.Accessor, ct) switch
        {
            Outcome<ContactProofStarted>.Done d => TypedResults.Accepted((string?)null, new ContactVerificationStarted(
                d.Value.Proof.VerificationId, request.Field, d.Value.Proof.ExpiresAt, d.Value.Confirmation?.VerificationId, d.Value.ConfirmWith)),
            Outcome<ContactProofStarted>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    private static async Task<Results<Ok<VerifiedContactView>, ValidationProblem, ProblemHttpResult>> VerifyAsync(
        string subjectId, VerifyContactRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (request.ConfirmationId is null != request.ConfirmationCode is null)
        {
            return RequestProblems.Invalid("confirmationCode", "confirmationId and confirmationCode come together, or not at all.");
        }

        return await verifications.VerifyContactAsync(subjectId, request.VerificationId, request.Code, request.ConfirmationId, request.ConfirmationCode,
                SubjectRightsApi.OwnToken(subjectId, s.User), s.Accessor, ct) switch
        {
            Outcome<VerifiedContact>.Done d => TypedResults.Ok(new VerifiedContactView(subjectId, d.Value.Field, ContactFields.ChannelOf(d.Value.Field), d.Value.VerifiedAt)),
            Outcome<VerifiedContact>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }
}
