using System.Globalization;
using System.Net.Http.Json;

namespace PrivacySuite.Incidents.Infrastructure;

/// <summary>The vault's affected-subjects listing: subjects whose data of the given categories was processed in a time window.</summary>
public sealed class VaultClient(HttpClient http)
{
    public async Task<AffectedPage> GetAffectedAsync(IReadOnlyList<string> categories, DateTimeOffset from, DateTimeOffset to, string? after, int limit, CancellationToken cancellationToken)
    {
        var query = $"v1/subjects/affected?categories={Uri.EscapeDataString(string.Join(',', categories))}" +
            $"&from={Uri.EscapeDataString(from.ToString("O", CultureInfo.InvariantCulture))}" +
            $"&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}" +
            $"&limit={limit}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
        var page = await http.GetFromJsonAsync<AffectedPage>(query, cancellationToken);
        return page ?? throw new InvalidOperationException("The vault answered an empty body for the affected subjects.");
    }
}

public sealed record AffectedPage(IReadOnlyList<string> SubjectIds, string? Next);
