using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Consent.Apis;

/// <summary>What every handler needs, as one <c>[AsParameters]</c> argument.</summary>
public sealed record ConsentServices(
    ConsentDbContext Db,
    PurposeCatalogue Catalogue,
    DecisionCache Cache,
    ReceiptSigner Signer,
    TimeProvider Time,
    ILogger<ConsentServices> Logger);

public static class ConsentApi
{
    private const string ConsentRecordsTag = "Consents";

    public static IEndpointRouteBuilder MapConsentApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithMetadata(new RequestSizeLimitAttribute(64 * 1024));

        v1.MapGet("/purposes", ListPurposes).WithName("ListPurposes").WithSummary("The purpose catalogue").WithTags("Purposes")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer, SuiteRoles.Service);
        v1.MapPost("/policies/{policyId}/versions", PolicyApi.PublishVersion).WithName("PublishPolicyVersion")
            .WithSummary("Publish a policy version; consent to changed purposes must be given again").WithTags("Policies")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer);
        v1.MapPost("/subjects", SubjectApi.Register).WithName("RegisterSubject").WithSummary("Register a subject").WithTags("Subjects")
            .RequireRoles(SuiteRoles.ProductBackend);
        v1.MapPost("/subjects/{subjectId}/consents", SubjectApi.Grant).WithName("GrantConsent")
            .WithSummary("Grant consent to a purpose (or record a non-consent legal basis)").WithTags(ConsentRecordsTag)
            .RequireRoles(SuiteRoles.ProductBackend);
        v1.MapDelete("/subjects/{subjectId}/consents/{purpose}", SubjectApi.Withdraw).WithName("WithdrawConsent")
            .WithSummary("Withdraw consent to a non-essential purpose").WithTags(ConsentRecordsTag)
            .RequireRoles(SuiteRoles.ProductBackend);
        v1.MapGet("/subjects/{subjectId}/consents", SubjectApi.List).WithName("ListConsents")
            .WithSummary("A subject's consents and their full history").WithTags(ConsentRecordsTag)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer);
        v1.MapPost("/subjects/{subjectId}/cancellation", SubjectApi.Cancel).WithName("CancelAccount")
            .WithSummary("Cancel the subject's account: every purpose ends").WithTags("Subjects")
            .RequireRoles(SuiteRoles.ProductBackend);
        v1.MapGet("/consents/check", CheckApi.Check).WithName("CheckConsent")
            .WithSummary("Is the subject allowed this purpose right now?").WithTags(ConsentRecordsTag)
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Service);
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

    internal static string Actor(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";

    internal static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    internal static NotFound<ProblemDetails> NotFound(string detail) =>
        TypedResults.NotFound(new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = detail });

    internal static Conflict<ProblemDetails> Conflict(string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "Conflict", Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        return TypedResults.Conflict(problem);
    }

    internal static UnprocessableEntity<ProblemDetails> Unprocessable(string detail, string? reason = null)
    {
        var problem = new ProblemDetails { Status = StatusCodes.Status422UnprocessableEntity, Title = "Refused", Detail = detail };
        if (reason is not null)
        {
            problem.Extensions["reason"] = reason;
        }

        return TypedResults.UnprocessableEntity(problem);
    }

    internal static bool IsUniqueViolation(DbUpdateException e) => e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
