using System.Security.Claims;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class SubjectRightsApi
{
    public static readonly IReadOnlySet<string> Requests = IdentityVerifications.Requests;

    /// <summary>
    /// The person's rights (INF-6.1 to 6.4), each gated by a one-time code sent through the notification service to a
    /// verified contact (INF-6.3); access and export of the highest protection level also need the subject's own token or
    /// an officer's approval (IWK-2.2).
    /// </summary>
    public static IEndpointRouteBuilder MapSubjectRightsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/subjects/{subjectId}").WithTags("Subject rights")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Subject, SuiteRoles.PrivacyOfficer);
        api.MapPost("/verifications", StartAsync).WithName("StartVerification").RequireRateLimiting(RateLimits.Verification)
            .WithSummary("Sends a one-time code to the subject's verified contacts (and nowhere else), or to the guardian's when a guardian acts for the subject in the privacy centre; the request it is for is named.");
        api.MapPost("/access", AccessAsync).WithName("Access").WithSummary("All of the subject's data, by category, readable.");
        api.MapPost("/export", ExportAsync).WithName("Export").WithSummary("All of the subject's data as machine-readable JSON.");
        api.MapPost("/rectification", RectifyAsync).WithName("Rectify").WithSummary("Corrects fields of one category; tokens stay the same.");
        api.MapPost("/erasure", EraseAsync).WithName("Erase")
            .WithSummary("Crypto-shreds the subject's data unless a legal hold applies, in which case the answer says which.");
        return app;
    }

    private static async Task<Results<Accepted<VerificationStarted>, ValidationProblem, ProblemHttpResult>> StartAsync(
        string subjectId, VerificationRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (request.Request is null || !Requests.Contains(request.Request))
        {
            return RequestProblems.Invalid("request", "access, export, rectification or erasure.");
        }

        return await verifications.StartAsync(subjectId, request.Request, ActingGuardian(s.User), s.Accessor, ct) switch
        {
            Outcome<Verification>.Done d => TypedResults.Accepted((string?)null, new VerificationStarted(d.Value.VerificationId, d.Value.Request, d.Value.ExpiresAt)),
            Outcome<Verification>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    private static async Task<Results<Ok<SubjectData>, ValidationProblem, ProblemHttpResult>> AccessAsync(
        string subjectId, VerifiedRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (await GateAsync(subjectId, "access", request.VerificationId, request.Code, s, verifications, ct) is { } refused)
        {
            return refused;
        }

        var values = await s.Vault.SubjectOwnDataAsync(subjectId, "subject-access", s.Accessor, ct);
        if (values is null)
        {
            return Problems.Refused(410, "erased", "The subject's data was erased.");
        }

        var categories = values.GroupBy(v => v.Category).Select(g => new CategoryData(g.Key, g.First().Source, g.First().LegalBasis,
            g.ToDictionary(v => v.Field, v => v.Value), g.Max(v => v.UpdatedAt))).ToList();
        return TypedResults.Ok(new SubjectData(subjectId, categories));
    }

    private static async Task<Results<Ok<SubjectExport>, ValidationProblem, ProblemHttpResult>> ExportAsync(
        string subjectId, VerifiedRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (await GateAsync(subjectId, "export", request.VerificationId, request.Code, s, verifications, ct) is { } refused)
        {
            return refused;
        }

        var values = await s.Vault.SubjectOwnDataAsync(subjectId, "subject-export", s.Accessor, ct);
        return values is null
            ? Problems.Refused(410, "erased", "The subject's data was erased.")
            : TypedResults.Ok(new SubjectExport("privacysuite-subject-export/v1", subjectId, s.Time.GetUtcNow(), [.. values.Select(DataApi.View)]));
    }

    private static async Task<Results<Ok<RectificationDone>, ValidationProblem, ProblemHttpResult>> RectifyAsync(
        string subjectId, RectificationRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (!Categories.IsKnown(request.Category))
        {
            return RequestProblems.Invalid("category", "The category to correct.");
        }

        if (Validate.Fields(request.Fields) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return RequestProblems.Invalid("reason", "Why the data is wrong, 1-500 characters (INF-6.2).");
        }

        if (await GateAsync(subjectId, "rectification", request.VerificationId, request.Code, s, verifications, ct) is { } refused)
        {
            return refused;
        }

        var existing = await s.Db.Values.AsNoTracking().Where(v => v.SubjectId == subjectId && v.Category == request.Category).ToListAsync(ct);
        if (existing.Count == 0)
        {
            return Problems.Refused(404, "unknown-category", "The vault holds no data of this category for the subject.");
        }

        try
        {
            // A correction changes values, not why they are held: the category's source, basis and the purposes it covers stay.
            var stored = await s.Vault.StoreAsync(subjectId, request.Category!, existing[0].Source, existing[0].LegalBasis, existing[0].BasisPurposes,
                request.Fields!, s.Accessor, "rectification", ct);
            return TypedResults.Ok(new RectificationDone(subjectId, request.Category!, stored.ToDictionary(v => v.Field, v => v.Token)));
        }
        catch (SubjectErasedException)
        {
            return Problems.Refused(410, "erased", "The subject's data was erased.");
        }
    }

    private static async Task<Results<Ok<ErasureDone>, ValidationProblem, ProblemHttpResult>> EraseAsync(
        string subjectId, ErasureRequest request, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return RequestProblems.Invalid("reason", "Why the data is to be deleted, 1-500 characters (INF-6.2).");
        }

        if (await GateAsync(subjectId, "erasure", request.VerificationId, request.Code, s, verifications, ct) is { } refused)
        {
            return refused;
        }

        return await s.Vault.EraseAsync(subjectId, request.Reason, s.Accessor, ct) switch
        {
            VaultService.ErasureResult.Erased e => TypedResults.Ok(new ErasureDone(subjectId, e.CertificateId, e.ErasedAt)),
            VaultService.ErasureResult.Blocked b => new Refusal(409,
                "The data cannot be deleted while a legal hold applies: " +
                string.Join("; ", b.Holds.Select(h => $"hold {h.HoldId} ({h.ReasonCode}) placed {h.PlacedAt:yyyy-MM-dd}")) +
                ". It will be erasable once the hold is released (INF-6.4).",
                "legal-hold",
                new Dictionary<string, object?> { ["holds"] = b.Holds.Select(h => new { h.HoldId, h.ReasonCode, h.Category, h.PlacedAt }).ToList() },
                Title: "Blocked by a legal hold").ToProblem(),
            _ => Problems.Refused(404, "unknown-subject", "The vault holds no data for this subject."),
        };
    }

    /// <summary>
    /// Whether the caller is the subject, with the subject's own token: the second factor of IWK-2.2. A guardian acting for
    /// a minor in the privacy centre holds the minor's token (with the guardian as actor) and stands in for them.
    /// </summary>
    internal static bool OwnToken(string subjectId, ClaimsPrincipal user) =>
        user.IsInRole(SuiteRoles.Subject) && !user.IsInRole(SuiteRoles.ProductBackend) && user.FindFirstValue(ClaimTypes.NameIdentifier) == subjectId;

    /// <summary>
    /// The guardian acting for the route's subject, named by the privacy centre's token (the <c>act</c> claim, which the
    /// centre sets only for a minor consent lists in that guardian's care): their requests' codes go to the guardian.
    /// </summary>
    private static string? ActingGuardian(ClaimsPrincipal user) => user.FindFirstValue(Callers.ActorClaim);

    /// <summary>Redeems the one-time code for this request (the model counts wrong codes and logs every check).</summary>
    private static async Task<ProblemHttpResult?> GateAsync(string subjectId, string request, Guid verificationId, string? code, VaultServices s,
        IdentityVerifications verifications, CancellationToken ct)
    {
        return await verifications.RedeemAsync(subjectId, request, verificationId, code, OwnToken(subjectId, s.User), ActingGuardian(s.User), s.Accessor, ct) switch
        {
            null => null,
            (_, "approval-required") => Problems.Refused(403, "approval-required",
                "The subject holds data of the highest protection level: its access or export needs, besides the code, the subject's own token " +
                "or a privacy officer's approval of this request (POST /v1/subject-requests/{id}/approval) (IWK-2.2). The code stays valid until it expires."),
            var (status, reason) => Problems.Refused(status, reason,
                "Identity was not verified: ask for a new code with POST /v1/subjects/{subjectId}/verifications and send it with the request (INF-6.3)."),
        };
    }
}
