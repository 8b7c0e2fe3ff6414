using System.Net;
using System.Text.Json.Serialization;

namespace PrivacySuite.Notifications.Channels;

/// <summary>The vault's answer for a subject's contacts. Held in memory for one delivery, never stored or logged.</summary>
public sealed record SubjectContacts(
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("channels")] IReadOnlyList<ContactChannel>? Channels);

public sealed record ContactChannel(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("address")] string Address);

/// <summary>Fetches contacts from the vault at send time, as this service itself (role <c>service</c>).</summary>
public sealed class VaultContacts(HttpClient http)
{
    public const string ClientName = "vault";

    /// <summary>The subject's contacts, or null when the vault knows none for the subject.</summary>
    public async Task<SubjectContacts?> GetAsync(string subjectId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/subjects/{Uri.EscapeDataString(subjectId)}/contacts", cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<SubjectContacts>(cancellationToken);
    }
}
