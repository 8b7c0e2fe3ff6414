using System.Globalization;
using System.Net.Http.Json;

namespace PrivacySuite.Incidents.Infrastructure;

/// <summary>The vault's affected-subjects listing (by scope: window, category, everyone) and its check of named subjects.</summary>
public sealed class VaultClient(HttpClient http)
{
    /// <summary>The most named subjects the vault checks in one call (<c>POST /v1/subjects/known</c>).</summary>
    public const int MaxKnown = 500;

    public async Task<AffectedPage> GetAffectedAsync(AffectedScope scope, string? after, int limit, CancellationToken cancellationToken)
    {
        var query = $"v1/subjects/affected?scope={scope.Kind}";
        if (scope.Kind is AffectedScope.Window or AffectedScope.Category)
        {
            query += $"&categories={Uri.EscapeDataString(string.Join(',', scope.Categories))}";
        }

        if (scope is { Kind: AffectedScope.Window, From: { } from, To: { } to })
        {
            query += $"&from={Uri.EscapeDataString(from.ToString("O", CultureInfo.InvariantCulture))}" +
                     $"&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}";
        }

        query += $"&limit={limit}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
        var page = await http.GetFromJsonAsync<AffectedPage>(query, cancellationToken);
        return page ?? throw new InvalidOperationException("The vault answered an empty body for the affected subjects.");
    }

    /// <summary>Which of up to <see cref="MaxKnown"/> named subjects the vault holds.</summary>
    public async Task<KnownSubjects> KnownAsync(IReadOnlyList<string> subjectIds, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("v1/subjects/known", new { subjectIds }, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<KnownSubjects>(cancellationToken)
            ?? throw new InvalidOperationException("The vault answered an empty body for the named subjects.");
    }
}

public sealed record AffectedPage(IReadOnlyList<string> SubjectIds, string? Next);

public sealed record KnownSubjects(IReadOnlyList<string> Known, IReadOnlyList<string> Unknown);
