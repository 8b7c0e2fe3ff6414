using System.Net;
using System.Text.Json.Serialization;

namespace PrivacySuite.Notifications.Infrastructure;

/// <summary>A one-time code the vault made for this send, and where it goes. Held in memory for one delivery, never stored or logged.</summary>
public sealed record CodeDelivery(
    [property: JsonPropertyName("verificationId")] Guid VerificationId,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("channels")] IReadOnlyList<ContactChannel>? Channels);

/// <summary>The vault's answer: the code to send, or why there is none to send (its problem's <c>reason</c>).</summary>
public abstract record CodeAnswer
{
    public sealed record Released(CodeDelivery Delivery) : CodeAnswer;

    public sealed record Refused(string Reason) : CodeAnswer;
}

/// <summary>
/// Fetches a verification's one-time code from the vault when the notice is sent (<c>POST /v1/verifications/{id}/delivery</c>,
/// as this service): the code travels in no event, queue or table, only in this answer. The vault hands it out once,
/// before it expires, with the subject's verified contacts (or the new contact being proven).
/// </summary>
public sealed class VaultCodes(HttpClient http)
{
    /// <summary>The code, or the vault's reason for refusing it; throws when the vault cannot answer (retry later).</summary>
    public async Task<CodeAnswer> ReleaseAsync(Guid verificationId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"v1/verifications/{verificationId}/delivery", null, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.Gone)
        {
            var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(cancellationToken);
            return new CodeAnswer.Refused(problem.TryGetProperty("reason", out var reason) && reason.GetString() is { Length: > 0 and <= 64 } r
                ? r
                : "code-unavailable");
        }

        response.EnsureSuccessStatusCode();
        var delivery = await response.Content.ReadFromJsonAsync<CodeDelivery>(cancellationToken)
            ?? throw new System.Text.Json.JsonException("The vault answered no code.");
        return new CodeAnswer.Released(delivery);
    }
}
