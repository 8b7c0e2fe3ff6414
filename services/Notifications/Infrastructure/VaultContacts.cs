using System.Text.Json.Serialization;

namespace PrivacySuite.Notifications.Infrastructure;

/// <summary>The vault's answer for a subject's contacts. Held in memory for one delivery, never stored or logged.</summary>
public sealed record SubjectContacts(
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("channels")] IReadOnlyList<ContactChannel>? Channels);

public sealed record ContactChannel(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("address")] string Address);

/// <summary>One subject in the vault's batch answer: <c>found</c>, <c>unknown</c> or <c>erased</c>.</summary>
public sealed record SubjectContactsEntry(
    [property: JsonPropertyName("subjectId")] string SubjectId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("channels")] IReadOnlyList<ContactChannel>? Channels);

public sealed record ContactsLookupResponse([property: JsonPropertyName("subjects")] IReadOnlyList<SubjectContactsEntry>? Subjects);

/// <summary>Fetches contacts from the vault at send time, as this service itself (role <c>service</c>).</summary>
public sealed class VaultContacts(HttpClient http)
{
    public const string ClientName = "vault";

    /// <summary>The most subjects the vault answers in one batch call (<c>POST /v1/subjects/contacts</c>).</summary>
    public const int MaxBatch = 500;

    /// <summary>
    /// Contacts of many subjects, one vault call per <see cref="MaxBatch"/>: null for a subject the vault knows no
    /// contact for (unknown or erased). Throws when the vault cannot answer, or answers without one of the subjects.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, SubjectContacts?>> GetManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, SubjectContacts?>(subjectIds.Count, StringComparer.Ordinal);
        foreach (var chunk in subjectIds.Distinct(StringComparer.Ordinal).Chunk(MaxBatch))
        {
            using var response = await http.PostAsJsonAsync("v1/subjects/contacts", new { subjectIds = chunk }, cancellationToken);
            response.EnsureSuccessStatusCode();
            var answer = await response.Content.ReadFromJsonAsync<ContactsLookupResponse>(cancellationToken);
            foreach (var entry in answer?.Subjects ?? [])
            {
                found[entry.SubjectId] = entry.Status == "found" ? new SubjectContacts(entry.Language, entry.Channels) : null;
            }

            if (chunk.Any(id => !found.ContainsKey(id)))
            {
                throw new System.Text.Json.JsonException("The vault's answer left out a subject it was asked for.");
            }
        }

        return found;
    }
}
