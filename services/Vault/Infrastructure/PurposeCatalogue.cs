using System.Collections.Frozen;

namespace PrivacySuite.Vault.Infrastructure;

/// <summary>A purpose of the consent service's catalogue as the vault needs it: its policy and the data categories it may read.</summary>
public sealed record CataloguePurpose(string Code, string PolicyId, IReadOnlySet<string> Categories)
{
    public bool Gives(string category) => Categories.Contains(category);
}

/// <summary>
/// What the catalogue says of one purpose: <see cref="Available"/> false when the catalogue could not be had at all,
/// otherwise <see cref="Purpose"/> null when it has no such purpose.
/// </summary>
public readonly record struct PurposeLookup(bool Available, CataloguePurpose? Purpose);

/// <summary>
/// The consent service's purpose catalogue (<c>GET /v1/purposes</c>), held in memory: a purpose reads only the data
/// categories the catalogue gives it, and a non-consent basis may only cover purposes it has. The catalogue only grows
/// (a policy version adds purposes and never changes an existing purpose's categories), so a purpose this copy lacks is
/// asked for again at once (at most every <see cref="MinimumRefetchInterval"/>), and the whole copy is replaced after
/// <see cref="VaultOptions.PurposeCatalogueMaxAge"/>. If the consent service cannot answer, the copy in hand stays in use;
/// without one, nothing can be decided (<see cref="PurposeLookup.Available"/> false).
/// </summary>
public sealed class PurposeCatalogue(IHttpClientFactory http, IOptions<VaultOptions> options, TimeProvider time, ILogger<PurposeCatalogue> logger)
{
    /// <summary>Bounds how often unknown purpose codes (a caller's typo, or an attack) make the vault ask again.</summary>
    public static readonly TimeSpan MinimumRefetchInterval = TimeSpan.FromSeconds(1);

    private sealed record Snapshot(FrozenDictionary<string, CataloguePurpose> Purposes, DateTimeOffset FetchedAt);

    /// <summary>One purpose of the consent service's answer; categories are its enum names (<c>Identity</c>, ...).</summary>
    private sealed record PurposeView(string Code, string PolicyId, List<string> DataCategories);

    private readonly SemaphoreSlim _fetch = new(1, 1);
    private Snapshot? _snapshot;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    public async ValueTask<PurposeLookup> FindAsync(string code, CancellationToken ct)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        var now = time.GetUtcNow();
        if (snapshot is not null && now - snapshot.FetchedAt < options.Value.PurposeCatalogueMaxAge && snapshot.Purposes.TryGetValue(code, out var known))
        {
            return new PurposeLookup(true, known);
        }

        snapshot = await RefreshAsync(snapshot, ct);
        return snapshot is null ? new PurposeLookup(false, null) : new PurposeLookup(true, snapshot.Purposes.GetValueOrDefault(code));
    }

    /// <summary>
    /// Fetches a new copy when there is none or the one in hand has lived half its age; false while there is none (the
    /// consent service has not answered yet).
    /// </summary>
    public async Task<bool> RefreshIfAgingAsync(CancellationToken ct)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && time.GetUtcNow() - snapshot.FetchedAt < options.Value.PurposeCatalogueMaxAge / 2)
        {
            return true;
        }

        return await RefreshAsync(snapshot, ct) is not null;
    }

    /// <summary>Asks the consent service once, unless another caller just did (or is doing so); returns the copy to use.</summary>
    private async Task<Snapshot?> RefreshAsync(Snapshot? seen, CancellationToken ct)
    {
        await _fetch.WaitAsync(ct);
        try
        {
            var current = Volatile.Read(ref _snapshot);
            var now = time.GetUtcNow();
            if (!ReferenceEquals(current, seen) || now - _lastAttempt < MinimumRefetchInterval)
            {
                return current; // replaced meanwhile, or asked a moment ago
            }

            _lastAttempt = now;
            List<PurposeView>? purposes;
            try
            {
                purposes = await http.CreateClient(ConsentGate.HttpClientName).GetFromJsonAsync<List<PurposeView>>("/v1/purposes", ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
                                          or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
            {
                Log.CatalogueUnavailable(logger, e.GetType().Name, current is not null);
                return current;
            }

            if (purposes is null)
            {
                return current;
            }

            var snapshot = new Snapshot(purposes.ToFrozenDictionary(
                    p => p.Code,
                    p => new CataloguePurpose(p.Code, p.PolicyId, p.DataCategories.Select(c => c.ToLowerInvariant()).ToFrozenSet(StringComparer.Ordinal)),
                    StringComparer.Ordinal),
                now);
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
        finally
        {
            _fetch.Release();
        }
    }
}
