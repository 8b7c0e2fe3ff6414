using Microsoft.AspNetCore.Mvc;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class DataApi
{
    /// <summary>Storing personal data for tokens, equality lookups, purpose-checked reads.</summary>
    public static IEndpointRouteBuilder MapDataApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Data").RequireRoles(SuiteRoles.ProductBackend);

        api.MapPost("/subjects/{subjectId}/data", StoreAsync).WithName("StoreData")
            .WithSummary("Encrypts and stores fields of one category for a subject; returns a token per field. With an Idempotency-Key, a repeat answers the first answer and writes nothing.");
        api.MapPut("/subjects/{subjectId}/profile", SetProfileAsync).WithName("SetProfile")
            .WithSummary("Records whether the subject is a minor and who the guardian is (IWK-3.2).");
        api.MapPost("/lookup", LookupAsync).WithName("Lookup").RequireRateLimiting(RateLimits.Lookup)
            .WithSummary("Finds the tokens of an e-mail address or phone number by its keyed hash; no value is returned.");
        app.MapPost("/v1/detokenize", DetokenizeAsync).WithTags("Data").WithName("Detokenize")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.PrivacyOfficer)
            .WithSummary("Returns the values of tokens for a named purpose, if consent, a legal basis and the protection level allow it.");
        return app;
    }

    private static async Task<Results<Ok<StoreResponse>, ValidationProblem, ProblemHttpResult>> StoreAsync(
        string subjectId, StoreRequest request, [Microsoft.AspNetCore.Mvc.FromHeader(Name = IdempotencyKeys.Header)] string? idempotencyKey,
        [AsParameters] VaultServices s, IdempotencyKeys idempotency, HttpResponse response, CancellationToken ct)
    {
        if (idempotencyKey is not null && !IdempotencyKeys.IsValid(idempotencyKey))
        {
            return RequestProblems.Invalid(IdempotencyKeys.Header,
                $"An Idempotency-Key is 1-{IdempotencyKeys.MaxKeyLength} visible ASCII characters (a UUID, say), or is not sent.");
        }

        if (request.Category == "business")
        {
            return Problems.Refused(422, "business-data", "Customers' business data is never stored in the vault (INF-1.2); only personal data of the listed categories.");
        }

        if (!Categories.IsKnown(request.Category))
        {
            return RequestProblems.Invalid("category", "One of: identity, contact, device, usage, location, delivery.");
        }

        if (request.Source is null || !Categories.Sources.Contains(request.Source))
        {
            return RequestProblems.Invalid("source", "Either 'provided' (the person gave it) or 'collected' (from their devices) (IWK-1.1).");
        }

        // Required: a forgotten basis must not silently become consent (or contract), which decides who may read the value.
        if (request.LegalBasis is not { } basis || !LegalBases.IsKnown(basis))
        {
            return RequestProblems.Invalid("legalBasis", "consent, contract, or one of the listed legal grounds (IWK-1.3).");
        }

        if (request.Category == Categories.Delivery && basis != LegalBases.Contract)
        {
            return Problems.Refused(422, "delivery-needs-contract", "Delivery data is kept only to perform the contract: its legal basis is 'contract' (INF-1.3).");
        }

        if (basis == LegalBases.Consent && request.Purposes is not null)
        {
            return RequestProblems.Invalid("purposes", "Consent-based values are read for each purpose the subject consents to; 'purposes' names what a non-consent legal basis covers and is sent only with one.");
        }

        if (basis != LegalBases.Consent && !Validate.BasisPurposes(request.Purposes))
        {
            return RequestProblems.Invalid("purposes",
                $"A non-consent legal basis ('{basis}') covers only the purposes it is recorded for: name 1-{VaultService.MaxBasisPurposes} distinct purpose codes of the consent catalogue (IWK-1.3).");
        }

        if (Validate.Fields(request.Fields) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        IReadOnlyList<string> purposes = request.Purposes ?? [];
        async Task<Outcome<StoreResponse>> WriteAsync(CancellationToken token)
        {
            if (purposes.Count > 0 && await s.Vault.BasisRefusalAsync(request.Category!, purposes, token) is { } refused)
            {
                return refused;
            }

            try
            {
                var stored = await s.Vault.StoreAsync(subjectId, request.Category!, request.Source, basis, purposes, request.Fields!, s.Accessor, "write", token);
                return new Outcome<StoreResponse>.Done(new StoreResponse(subjectId, request.Category!, stored.ToDictionary(v => v.Field, v => v.Token)));
            }
            catch (SubjectErasedException)
            {
                return new Refusal(409, "This subject was erased; data for a new relationship needs a new subject id.", "erased");
            }
        }

        var (outcome, replayed) = idempotencyKey is null
            ? (await WriteAsync(ct), false)
            : await idempotency.RunAsync(s.Accessor, idempotencyKey, "StoreData", idempotency.Hash("StoreData", new
            {
                subjectId,
                request.Category,
                request.Source,
                request.LegalBasis,
                Fields = new SortedDictionary<string, string>(request.Fields!, StringComparer.Ordinal),
                request.Purposes,
            }), WriteAsync, ct);
        if (replayed)
        {
            response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
        }

        return outcome switch
        {
            Outcome<StoreResponse>.Done { Value: var stored } => TypedResults.Ok(stored),
            Outcome<StoreResponse>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("An outcome is done or refused."),
        };
    }

    private static async Task<Results<Ok<ProfileResponse>, ValidationProblem, ProblemHttpResult>> SetProfileAsync(
        string subjectId, ProfileRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (request.IsMinor && !Validate.SubjectId(request.GuardianSubjectId))
        {
            return RequestProblems.Invalid("guardianSubjectId", "A minor's profile names the guardian's subject id.");
        }

        if (request.GuardianSubjectId == subjectId)
        {
            return RequestProblems.Invalid("guardianSubjectId", "A subject cannot be their own guardian.");
        }

        return await s.Vault.SetProfileAsync(subjectId, request.IsMinor, request.GuardianSubjectId, s.Accessor, ct) switch
        {
            Outcome<Subject>.Done { Value: var subject } => TypedResults.Ok(new ProfileResponse(subjectId, subject.IsMinor, subject.GuardianSubjectId)),
            Outcome<Subject>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("An outcome is done or refused."),
        };
    }

    private static async Task<Results<Ok<LookupResponse>, ValidationProblem>> LookupAsync(
        LookupRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (request.Field is not ("email" or "phone"))
        {
            return RequestProblems.Invalid("field", "Either 'email' or 'phone'.");
        }

        if (string.IsNullOrWhiteSpace(request.Value) || request.Value.Length > VaultService.MaxValueLength)
        {
            return RequestProblems.Invalid("value", $"A value is 1-{VaultService.MaxValueLength} characters.");
        }

        var lookup = s.Vault.LookupFor(request.Field, request.Value);
        var matches = await s.Db.Values.AsNoTracking().Where(v => v.LookupToken == lookup && v.Field == request.Field)
            .OrderBy(v => v.SubjectId).Take(100).Select(v => new LookupMatch(v.SubjectId, v.Token)).ToListAsync(ct);
        return TypedResults.Ok(new LookupResponse(matches));
    }

    private static async Task<Results<Ok<DetokenizeResponse>, ValidationProblem, ProblemHttpResult>> DetokenizeAsync(
        DetokenizeRequest request,
        [FromHeader(Name = StepUpVerifier.Header), System.ComponentModel.Description(
            "The caller's step-up token for this purpose (ES256 JWT of type privacysuite-step-up+jwt, signed with the step-up key registered with its API key): the second factor of reads of identity and location.")]
        string? stepUp, [FromServices] StepUpVerifier stepUps,
        [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (!Validate.Purpose(request.Purpose))
        {
            return RequestProblems.Invalid("purpose", "Every read names a purpose code from the consent catalogue (INF-3.3).");
        }

        var tokens = request.Tokens?.Distinct().ToList() ?? [];
        if (tokens.Count is 0 or > VaultService.MaxTokensPerRead || tokens.Any(t => t is null || t.Length is 0 or > 64))
        {
            return RequestProblems.Invalid("tokens", $"1-{VaultService.MaxTokensPerRead} tokens of at most 64 characters.");
        }

        if (request.ProcessorId is { Length: 0 or > 64 })
        {
            return RequestProblems.Invalid("processorId", "A processor id is 1-64 characters.");
        }

        // The second factor of sensitive reads (IWK-2.2). A token sent and refused is an answer of its own, so that a caller
        // whose token is wrong learns why instead of reading "second-factor-required".
        if (stepUp is not null && await stepUps.RefusalAsync(stepUp, s.Accessor, request.Purpose!) is { } refusal)
        {
            return Problems.Refused(401, "step-up-refused", $"The {StepUpVerifier.Header} token was refused: {refusal}.");
        }

        var outcome = await s.Vault.DetokenizeAsync(tokens,
            new ReadContext(s.Accessor, request.Purpose!, request.ProcessorId, request.ApprovalId, SecondFactor: stepUp is not null), ct);
        return outcome switch
        {
            Outcome<IReadOnlyList<ClearValue>>.Done done => TypedResults.Ok(new DetokenizeResponse([.. done.Value.Select(View)])),
            Outcome<IReadOnlyList<ClearValue>>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    internal static ValueView View(ClearValue v) => new(v.Token, v.SubjectId, v.Category, v.Field, v.Value, v.Source, v.LegalBasis);
}
