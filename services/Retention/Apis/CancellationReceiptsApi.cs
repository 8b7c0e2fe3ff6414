using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.Apis;

/// <summary>
/// The receipt of a cancelled account (IWK-2.5): its holder, who got the link in the cancellation notice, follows the
/// removal and reads the deletion certificate, without signing in (once the data is gone there is nothing to sign in
/// with). The privacy centre shows it on its receipt page.
/// </summary>
public static class CancellationReceiptsApi
{
    public static IEndpointRouteBuilder MapCancellationReceiptsApi(this IEndpointRouteBuilder app)
    {
        // Anonymous: the receipt's random id is the capability, and the answer names no one. Callers without a token are
        // limited per address (PrivacySuite:RateLimits:PersonRequestsPerMinute), so ids cannot be tried in bulk.
        app.MapGet("/v1/cancellation-receipts/{receipt}", GetReceipt).WithTags("Retention").WithName("GetCancellationReceipt").AllowAnonymous()
            .WithSummary("A cancelled account's receipt: when its data is removed, whether a legal hold keeps it, and its deletion certificate once done.");
        return app;
    }

    // Any text is a receipt that is not found unless it is one: a mistyped link gets the same answer as an unknown one.
    public static async Task<Results<Ok<CancellationReceipt>, NotFound<ProblemDetails>>> GetReceipt(string receipt, CancellationReceipts receipts,
        CancellationToken cancellationToken) =>
        Guid.TryParseExact(receipt, "D", out var id) && await receipts.ReadAsync(id, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : Problems.NotFound("No such receipt", "No cancelled account has this receipt: check the link in the cancellation notice.");
}
