using PrivacySuite.PrivacyCentre.Extensions;

namespace PrivacySuite.PrivacyCentre.Apis;

/// <summary>
/// A cancelled account's receipt (IWK-2.5), for the receipt page (receipt.html) the cancellation notice links to: no
/// session, since after the removal the person has nothing to sign in with; the receipt's random id is the key.
/// </summary>
public static class ReceiptApi
{
    public static IEndpointRouteBuilder MapReceiptApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cancellation-receipts/{receipt:guid}", async (Guid receipt, HttpContext context, SuiteClient suite, CancellationToken ct) =>
                (await suite.SendAnonymousAsync("retention", HttpMethod.Get, $"/v1/cancellation-receipts/{receipt}", context.Connection.RemoteIpAddress, null, ct))
                .ToResult())
            .AllowAnonymous().RequireRateLimiting(PrivacyCentreExtensions.AnonymousLimit).WithTags("Receipts").WithName("CancellationReceipt")
            .WithSummary("When a cancelled account's data is removed, whether a legal hold keeps it, and its certificate of deletion once done.");
        return app;
    }
}
