using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Consent.Apis;

/// <summary>What the read handlers need, as one <c>[AsParameters]</c> argument; changes go through the model's verbs.</summary>
public sealed record ConsentServices(
    [FromServices] ConsentDbContext Db,
    [FromServices] PurposeCatalogue Catalogue,
    [FromServices] TimeProvider Time);

public static class ConsentApi
{
    private const string ConsentRecordsTag = "Consents";

    public static IEndpointRouteBuilder MapConsentApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithMetadata(new RequestSizeLimitAttribute(64 * 1024));

        // People read what they are asked to agree to, and act on their own consents only (RequestGuard): the privacy centre.
        v1.MapGet("/purposes", ListPurposes).WithName("ListPurposes").WithSummary("The purpose catalogue").WithTags("Purposes")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer, SuiteRoles.Service, SuiteRoles.Subject);
        v1.MapPost("/policies/{policyId}/versions", PolicyApi.PublishVersion).WithName("PublishPolicyVersion")
            .WithSummary("Publish a policy version with its text; consent to changed purposes must be given again").WithTags("Policies").ProducesProblem(404).ProducesProblem(409).ProducesProblem(422)
            // The version's full text in two languages is larger than the suite's other requests.
            .WithMetadata(new RequestSizeLimitAttribute(PolicyText.MaxRequestBytes))
            // It invalidates everyone's consent to what changed and can move the guardian age: the privacy officer's alone.
            .RequireRoles(SuiteRoles.PrivacyOfficer);
        v1.MapGet("/policies/{policyId}/current", PolicyApi.Current).WithName("GetCurrentPolicy")
            .WithSummary("The policy's current version and its text in en and zh-CN, to show subjects what they agree to").WithTags("Policies").ProducesProblem(404)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer, SuiteRoles.Subject);
        v1.MapGet("/policy-versions", PolicyApi.ListVersions).WithName("ListPolicyVersions")
            .WithSummary("The newest 100 policy versions (?policyId= for one policy), with how far each announcement to the subjects has come")
            .WithTags("Policies").ProducesProblem(404)
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        v1.MapPost("/subjects", SubjectApi.Register).WithName("RegisterSubject").WithSummary("Register a subject").WithTags("Subjects").ProducesProblem(409).ProducesProblem(422)
            .RequireRoles(SuiteRoles.ProductBackend);
        v1.MapPost("/subjects/{subjectId}/consents", SubjectApi.Grant).WithName("GrantConsent")
            .WithSummary("Grant consent to a purpose (or record a non-consent legal basis)").WithTags(ConsentRecordsTag)
            .ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Subject);
        v1.MapDelete("/subjects/{subjectId}/consents/{purpose}", SubjectApi.Withdraw).WithName("WithdrawConsent")
            .WithSummary("Withdraw consent to a non-essential purpose").WithTags(ConsentRecordsTag)
            .ProducesProblem(404).ProducesProblem(409)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Subject);
        v1.MapDelete("/subjects/{subjectId}/consents/{purpose}/sensitive-categories/{category}", SubjectApi.WithdrawSensitive)
            .WithName("WithdrawSensitiveConsent")
            .WithSummary("Withdraw the separate consent to a sensitive category (identity, location) of a purpose").WithTags(ConsentRecordsTag)
            .ProducesProblem(404)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Subject);
        v1.MapGet("/subjects/{subjectId}/consents", SubjectApi.List).WithName("ListConsents")
            .WithSummary("A subject's consents and their full history").WithTags(ConsentRecordsTag).ProducesProblem(404)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer, SuiteRoles.Subject);
        v1.MapGet("/subjects/{subjectId}/wards", SubjectApi.Wards).WithName("ListWards")
            .WithSummary("The minors whose consent the subject gave as their guardian (IWK-3.1), for the privacy centre to let a guardian act for them")
            .WithTags("Subjects").ProducesProblem(404)
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Subject);
        v1.MapPost("/subjects/{subjectId}/cancellation", SubjectApi.Cancel).WithName("CancelAccount")
            .WithSummary("Cancel the subject's account: every purpose ends").WithTags("Subjects")
            .ProducesProblem(404).ProducesProblem(409)
            .RequireRoles(SuiteRoles.ProductBackend);
        v1.MapGet("/consents/check", CheckApi.Check).WithName("CheckConsent")
            .WithSummary("Is the subject allowed this purpose right now?").WithTags(ConsentRecordsTag).ProducesProblem(404)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Service)
            // The hot path validates its two query values itself; the generic filter would only add a layer to every call.
            .DisableValidation();
        v1.MapGet("/receipts/keys", ReceiptKeys).WithName("ReceiptKeys")
            .WithSummary("Public keys (JWK) that verify consent receipts offline").WithTags("Receipts")
            .AllowAnonymous();
        return app;
    }

    private static async Task<Ok<IReadOnlyList<PurposeView>>> ListPurposes([AsParameters] ConsentServices services, string? policyId, CancellationToken cancellationToken)
    {
        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        IReadOnlyList<PurposeView> purposes = catalogue.Purposes.Values
            .Where(p => policyId is null || p.PolicyId == policyId)
            .OrderBy(p => p.PolicyId, StringComparer.Ordinal).ThenBy(p => p.Code, StringComparer.Ordinal)
            .Select(ToView).ToList();
        return TypedResults.Ok(purposes);
    }

    private static async Task<Ok<ReceiptKeySet>> ReceiptKeys(ReceiptSigner signer, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ReceiptKeySet(await signer.PublicKeysAsync(cancellationToken)));

    internal static PurposeView ToView(Purpose p) => new(
        p.Code, p.PolicyId, new PurposeNames(p.NameEn, p.NameZh), p.Essential, p.DefaultBasis, p.DataCategories,
        p.ThirdPartyRecipient, p.SeparateConsent, p.ChangedInVersion);

    internal static string Actor(this ClaimsPrincipal user) => user.CallerId();

    // Problem results (not NotFound<ProblemDetails> and kin) so that the answer is application/problem+json (RFC 9457).
    internal static ProblemHttpResult NotFound(string detail) => Refusal.NotFound(detail).ToProblem();

    internal static ProblemHttpResult Conflict(string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        Refusal.Conflict(detail, extensions).ToProblem();

    internal static ProblemHttpResult Unprocessable(string detail, string? reason = null) => Refusal.Unprocessable(detail, reason).ToProblem();

    /// <summary>A verb's refusal as problem details (RFC 9457).</summary>
    internal static ProblemHttpResult Problem(Refusal why) => why.ToProblem();
}
