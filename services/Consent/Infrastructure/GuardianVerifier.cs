using System.Net;
using System.Text.Json;

namespace PrivacySuite.Consent.Infrastructure;

/// <summary>
/// Spends a guardian's one-time code at the vault (<c>POST /v1/guardian-verifications/{id}/redemption</c>, as this
/// service), which made it, sent it to the guardian's own verified contacts and keeps only its keyed hash. The code
/// passes through this request and is neither stored nor logged here.
/// </summary>
public sealed class GuardianVerifier(IHttpClientFactory http, ILogger<GuardianVerifier> logger)
{
    public const string HttpClientName = "vault";

    /// <summary>Null when the vault spent the code for this guardian and minor; otherwise why the guardian is not verified.</summary>
    public async Task<GuardianRefusal?> RedeemAsync(Guid verificationId, string guardianId, string minorSubjectId, string code, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).PostAsJsonAsync($"/v1/guardian-verifications/{verificationId}/redemption",
                new { guardianId, minorSubjectId, code }, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return Unavailable(e.GetType().Name);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            // The vault refused the code (wrong, used, expired, for another pair), with its reason: the caller's to fix with
            // a new code. Anything else (its failures, a refusal of this service's identity, a vault without the route) is
            // not the caller's mistake.
            if ((int)response.StatusCode is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests) &&
                await ReasonAsync(response, ct) is { } reason)
            {
                return new GuardianRefusal(422, GuardianReasons.NotVerified,
                    "The guardian's code did not verify the guardianship: the guardian asks for a new one (vault: POST /v1/subjects/{guardianId}/guardian-verifications) " +
                    "and the consent is sent again with it.",
                    reason);
            }

            return Unavailable($"HTTP {(int)response.StatusCode}");
        }
    }

    private GuardianRefusal Unavailable(string error)
    {
        Log.GuardianVerificationUnavailable(logger, error);
        return new GuardianRefusal(503, GuardianReasons.VerificationUnavailable,
            "The vault, which verifies the guardian's code, did not answer. Nothing was recorded and the code was not spent unless the vault says otherwise: try again.");
    }

    /// <summary>The <c>reason</c> of the vault's problem details, or null when the answer is none.</summary>
    private static async Task<string?> ReasonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            return problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("reason", out var reason) &&
                   reason.ValueKind == JsonValueKind.String && reason.GetString() is { Length: > 0 and <= 64 } r
                ? r
                : null;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }
}
