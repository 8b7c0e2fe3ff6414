using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class GovernanceApi
{
    /// <summary>Processors, approvals, the access log and its verification, legal disclosures and key rotation.</summary>
    public static IEndpointRouteBuilder MapGovernanceApi(this IEndpointRouteBuilder app)
    {
        var officer = app.MapGroup("/v1").WithTags("Governance").RequireRoles(SuiteRoles.PrivacyOfficer);
        officer.MapPut("/processors/{processorId}", RegisterProcessorAsync).WithName("RegisterProcessor")
            .WithSummary("Registers a processor and the purposes it is instructed for (INF-5.2).");
        officer.MapPost("/approvals", ApproveAsync).WithName("Approve")
            .WithSummary("Approves one read of a highest-level category for one subject, purpose and accessor (IWK-2.2).");
        officer.MapPost("/subjects/{subjectId}/disclosures", DiscloseAsync).WithName("Disclose")
            .WithSummary("Discloses a subject's data to an authority on a legal ground, logs it and tells the subject where the law allows (INF-5.4).");

        var audit = app.MapGroup("/v1/access-log").WithTags("Access log").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        audit.MapGet("/", QueryAsync).WithName("QueryAccessLog").WithSummary("Entries by subject or by accessor, oldest first (IWK-2.3).");
        audit.MapPost("/verify", VerifyAsync).WithName("VerifyAccessLog").WithSummary("Recomputes the hash chain and names the first broken entry.");

        app.MapPost("/v1/keys/rotate", RotateAsync).WithTags("Keys").WithName("RotateKek").RequireRoles(SuiteRoles.Operator)
            .WithSummary("Creates a new key-encryption key version and re-wraps every data key with it, without downtime.");
        return app;
    }

    private static async Task<Results<Ok<ProcessorView>, ValidationProblem>> RegisterProcessorAsync(
        string processorId, ProcessorRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (!Validate.SubjectId(processorId))
        {
            return RequestProblems.Invalid("processorId", "1-64 characters of letters, digits, '-', '_', '.', ':'.");
        }

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            return RequestProblems.Invalid("name", "A name of 1-200 characters.");
        }

        if (request.Purposes is not { Count: > 0 and <= 50 } || !request.Purposes.All(Validate.Purpose))
        {
            return RequestProblems.Invalid("purposes", "1-50 purpose codes the processor is instructed for.");
        }

        var processor = await s.Vault.RegisterProcessorAsync(processorId, request.Name, request.Purposes, s.Accessor, ct);
        return TypedResults.Ok(new ProcessorView(processor.ProcessorId, processor.Name, processor.Purposes, processor.RegisteredAt));
    }

    private static async Task<Results<Ok<ApprovalView>, ValidationProblem>> ApproveAsync(
        ApprovalRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (!Validate.SubjectId(request.SubjectId))
        {
            return RequestProblems.Invalid("subjectId", "The subject whose data may be read.");
        }

        if (!Categories.IsKnown(request.Category) || Categories.Levels[request.Category!] != ProtectionLevel.High)
        {
            return RequestProblems.Invalid("category", "Approvals are for the highest-level categories: identity, location.");
        }

        if (!Validate.Purpose(request.Purpose))
        {
            return RequestProblems.Invalid("purpose", "The purpose the read is approved for.");
        }

        if (string.IsNullOrWhiteSpace(request.Accessor) || request.Accessor.Length > 128)
        {
            return RequestProblems.Invalid("accessor", "Who may read: an API key's name or a person's id.");
        }

        var approval = await s.Vault.ApproveAsync(request.SubjectId!, request.Category!, request.Purpose!, request.Accessor, s.Accessor, ct);
        return TypedResults.Ok(new ApprovalView(approval.ApprovalId, approval.SubjectId, approval.Category, approval.Purpose, approval.Accessor, approval.ExpiresAt));
    }

    private static async Task<Results<Ok<AccessLogPage>, ValidationProblem>> QueryAsync(
        string? subjectId, string? accessor, long? after, int? limit, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if ((subjectId is null) == (accessor is null))
        {
            return RequestProblems.Invalid("subjectId", "Query by exactly one of subjectId or accessor.");
        }

        if (subjectId is not null && !Validate.SubjectId(subjectId) || accessor is { Length: 0 or > 128 })
        {
            return RequestProblems.Invalid(subjectId is not null ? "subjectId" : "accessor", "Not a valid id.");
        }

        var take = limit ?? 100;
        if (take is < 1 or > 1000)
        {
            return RequestProblems.Invalid("limit", "1-1000.");
        }

        var query = s.Db.AccessLog.AsNoTracking().Where(a => a.Position > (after ?? 0));
        query = subjectId is not null ? query.Where(a => a.SubjectId == subjectId) : query.Where(a => a.Accessor == accessor);
        var entries = await query.OrderBy(a => a.Position).Take(take + 1)
            .Select(a => new AccessLogView(a.Position, a.At, a.Action, a.Outcome, a.SubjectId, a.Accessor, a.Purpose, a.Category, a.ProcessorId, a.Detail, a.Hash))
            .ToListAsync(ct);
        var next = entries.Count > take ? entries[take - 1].Position : (long?)null;
        return TypedResults.Ok(new AccessLogPage(entries.Take(take).ToList(), next));
    }

    private static async Task<Ok<ChainVerification>> VerifyAsync([AsParameters] VaultServices s, ILogger<AccessLogBook> logger, CancellationToken ct)
    {
        var result = await s.AccessLog.VerifyAsync(s.Db, ct);
        if (!result.Valid)
        {
            Log.ChainBroken(logger, result.FirstBadPosition ?? 0, result.Problem ?? "");
        }

        return TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<DisclosureResponse>, ValidationProblem, ProblemHttpResult>> DiscloseAsync(
        string subjectId, DisclosureRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        // Both go into the subject's notice, whose template takes plain text: braces or control characters would make
        // the notice undeliverable after the data was disclosed.
        if (string.IsNullOrWhiteSpace(request.Authority) || request.Authority.Length > 200 || !NoticeText(request.Authority))
        {
            return RequestProblems.Invalid("authority", "The court or authority that demands the data, 1-200 characters, without braces or control characters.");
        }

        if (string.IsNullOrWhiteSpace(request.LegalReference) || request.LegalReference.Length > 200 || !NoticeText(request.LegalReference))
        {
            return RequestProblems.Invalid("legalReference", "The order's or request's reference, 1-200 characters, without braces or control characters.");
        }

        if (request.Basis is null || !LegalBases.Disclosure.Contains(request.Basis))
        {
            return RequestProblems.Invalid("basis", "national-security, public-safety or criminal-investigation.");
        }

        if (request.Categories is not { Count: > 0 } || !request.Categories.All(Categories.IsKnown))
        {
            return RequestProblems.Invalid("categories", "The categories to disclose.");
        }

        if (!request.NotifySubject && (string.IsNullOrWhiteSpace(request.WithholdingReason) || request.WithholdingReason.Length > 500))
        {
            return RequestProblems.Invalid("withholdingReason", "Telling the subject is the rule; say which law forbids it here.");
        }

        return await s.Vault.DiscloseAsync(subjectId, request.Authority, request.LegalReference, request.Basis, request.Categories, request.NotifySubject,
                request.WithholdingReason, s.Accessor, ct) switch
        {
            Outcome<VaultService.Disclosure>.Done { Value: var d } => TypedResults.Ok(new DisclosureResponse(d.DisclosureId, request.NotifySubject, [.. d.Values.Select(DataApi.View)])),
            Outcome<VaultService.Disclosure>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("An outcome is done or refused."),
        };
    }

    private static bool NoticeText(string value) => !value.Any(c => c is '{' or '}' || char.IsControl(c));

    private static async Task<Ok<RotationResponse>> RotateAsync([AsParameters] VaultServices s, CancellationToken ct)
    {
        var (version, rewrapped) = await s.Vault.RotateKekAsync(s.Accessor, ct);
        return TypedResults.Ok(new RotationResponse(version, rewrapped));
    }
}
