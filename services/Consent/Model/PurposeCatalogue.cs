using System.Collections.Frozen;

namespace PrivacySuite.Consent.Model;

/// <summary>
/// The purposes and policies, held in memory: a few dozen rows read on every check. Reloaded at start-up and whenever
/// a policy version is published (here or, through the event, on another replica).
/// </summary>
public sealed class PurposeCatalogue(IServiceScopeFactory scopes)
{
    private readonly SemaphoreSlim _reload = new(1, 1);
    private Snapshot? _snapshot;

    /// <summary>The catalogue at one moment; <c>Epoch</c> is the highest policy version sequence published (any policy), what the check's answers are decided under.</summary>
    public sealed record Snapshot(FrozenDictionary<string, Purpose> Purposes, FrozenDictionary<string, Policy> Policies, long Epoch);

    public async ValueTask<Snapshot> GetAsync(CancellationToken cancellationToken)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return snapshot ?? await ReloadAsync(cancellationToken);
    }

    public async Task<Snapshot> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ConsentDbContext>();
            var purposes = await db.Purposes.AsNoTracking().ToListAsync(cancellationToken);
            var policies = await db.Policies.AsNoTracking().ToListAsync(cancellationToken);
            var epoch = await db.PolicyVersions.MaxAsync(v => (long?)v.Sequence, cancellationToken) ?? 0;
            var snapshot = new Snapshot(
                purposes.ToFrozenDictionary(p => p.Code, StringComparer.Ordinal),
                policies.ToFrozenDictionary(p => p.PolicyId, StringComparer.Ordinal),
                epoch);
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
        finally
        {
            _reload.Release();
        }
    }
}
