using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class TransfersApi
{
    /// <summary>PIPL Art. 38: the mechanisms that make a cross-border transfer lawful.</summary>
    public static readonly IReadOnlySet<string> Mechanisms = new HashSet<string> { "security-assessment", "certification", "standard-contract" };

    /// <summary>Residency (IWK-2.4): exports abroad need the subject's separate consent and a recorded transfer basis (the rules: VaultService.TransferAsync).</summary>
    public static IEndpointRouteBuilder MapTransfersApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/v1/transfer-bases", RecordBasisAsync).WithTags("Residency").WithName("RecordTransferBasis")
            .RequireRoles(SuiteRoles.PrivacyOfficer)
            .WithSummary("Records the legal mechanism for transfers to one recipient in one country.");
        app.MapPost("/v1/subjects/{subjectId}/transfers", TransferAsync).WithTags("Residency").WithName("Transfer")
            .RequireRoles(SuiteRoles.ProductBackend)
            .WithSummary("Exports a subject's data to a recipient; outside the home jurisdiction only with separate consent and a basis. Every attempt is logged.");
        return app;
    }

    private static async Task<Results<Ok<TransferBasisView>, ValidationProblem>> RecordBasisAsync(
        TransferBasisRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (!IsCountry(request.DestinationCountry))
        {
            return RequestProblems.Invalid("destinationCountry", "An ISO 3166-1 alpha-2 country code.");
        }

        if (string.IsNullOrWhiteSpace(request.Recipient) || request.Recipient.Length > 200)
        {
            return RequestProblems.Invalid("recipient", "The recipient, 1-200 characters.");
        }

        if (request.Mechanism is null || !Mechanisms.Contains(request.Mechanism))
        {
            return RequestProblems.Invalid("mechanism", "security-assessment, certification or standard-contract (PIPL Art. 38).");
        }

        if (string.IsNullOrWhiteSpace(request.Reference) || request.Reference.Length > 200)
        {
            return RequestProblems.Invalid("reference", "The filing or contract reference, 1-200 characters.");
        }

        var country = request.DestinationCountry!.ToUpperInvariant();
        var basis = await s.Vault.RecordTransferBasisAsync(country, request.Recipient, request.Mechanism, request.Reference, s.Accessor, ct);
        return TypedResults.Ok(new TransferBasisView(basis.BasisId, country, basis.Recipient, basis.Mechanism, basis.Reference, basis.RecordedAt));
    }

    private static async Task<Results<Ok<TransferResponse>, ValidationProblem, ProblemHttpResult>> TransferAsync(
        string subjectId, TransferRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (!IsCountry(request.DestinationCountry))
        {
            return RequestProblems.Invalid("destinationCountry", "An ISO 3166-1 alpha-2 country code.");
        }

        if (string.IsNullOrWhiteSpace(request.Recipient) || request.Recipient.Length > 200)
        {
            return RequestProblems.Invalid("recipient", "The recipient, 1-200 characters.");
        }

        if (!Validate.Purpose(request.Purpose))
        {
            return RequestProblems.Invalid("purpose", "The purpose of the transfer.");
        }

        if (request.Categories is not { Count: > 0 } || !request.Categories.All(Categories.IsKnown))
        {
            return RequestProblems.Invalid("categories", "The categories to transfer.");
        }

        var order = new TransferOrder(subjectId, request.DestinationCountry!.ToUpperInvariant(), request.Recipient, request.Purpose!, [.. request.Categories.Distinct()]);
        return await s.Vault.TransferAsync(order, s.Accessor, ct) switch
        {
            Outcome<IReadOnlyList<ClearValue>>.Done done => TypedResults.Ok(new TransferResponse(subjectId, order.Country, order.Recipient, [.. done.Value.Select(DataApi.View)])),
            Outcome<IReadOnlyList<ClearValue>>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    private static bool IsCountry(string? code) => code is { Length: 2 } && code.All(char.IsAsciiLetter);
}
