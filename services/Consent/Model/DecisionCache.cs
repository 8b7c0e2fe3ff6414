using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.Consent.Model;

/// <summary>
/// What the check needs about a subject (the subject row and its consents), held in this replica's memory. Kept fresh by the service's own events, which every replica receives
/// on a queue of its own (<see cref="IntegrationEvents.DecisionInvalidationEndpoint"/>). While that queue is not
/// connected the cache is off and every check reads the database: a replica that cannot hear withdrawals must not
/// remember consents. Entries also expire after <see cref="ConsentOptions.DecisionCacheMaxAge"/> as a backstop.
/// </summary>
public sealed class DecisionCache(IOptions<ConsentOptions> options, TimeProvider time)
{
    private static readonly Counter<long> Lookups = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.consent.decision_cache.lookups", description: "Consent checks answered from (hit) or past (miss) the decision cache");

    private readonly ConcurrentDictionary<string, Entry> _bySubject = new(StringComparer.Ordinal);
    private readonly long _maxAgeTicks = (long)(options.Value.DecisionCacheMaxAge.TotalSeconds * time.TimestampFrequency);
    private readonly int _maxEntries = options.Value.DecisionCacheMaxEntries;
    private long _generation;
    private int _count;
    private volatile bool _enabled;

    private sealed record Entry(SubjectState State, long StoredAt);

    /// <summary>Whether decisions are cached right now (the invalidation queue is connected).</summary>
    public bool Enabled => _enabled;

    /// <summary>Read before loading a decision from the database and handed to <see cref="Store"/>.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public bool TryGet(string subjectId, out SubjectState state)
    {
        if (_enabled && _bySubject.TryGetValue(subjectId, out var entry) && time.GetTimestamp() - entry.StoredAt < _maxAgeTicks)
        {
            state = entry.State;
            Lookups.Add(1, new KeyValuePair<string, object?>("result", "hit"));
            return true;
        }

        state = null!;
        Lookups.Add(1, new KeyValuePair<string, object?>("result", "miss"));
        return false;
    }

    /// <summary>
    /// Keeps a subject's state read from the database, unless an invalidation happened since <paramref name="generationAtRead"/>:
    /// then the read may predate the change. Added first, checked after, so that an invalidation racing the add wins.
    /// </summary>
    public void Store(SubjectState state, long generationAtRead)
    {
        if (!options.Value.DecisionCacheEnabled || !_enabled || Generation != generationAtRead)
        {
            return;
        }

        if (Interlocked.Increment(ref _count) > _maxEntries)
        {
            // Crude but bounded: start again rather than track recency on the hot path.
            Clear();
            return;
        }

        var entry = new Entry(state, time.GetTimestamp());
        _bySubject[state.Subject.SubjectId] = entry;
        if (Generation != generationAtRead || !_enabled)
        {
            _bySubject.TryRemove(new KeyValuePair<string, Entry>(state.Subject.SubjectId, entry));
        }
    }

    /// <summary>A consent of the subject changed: its whole state is read again on the next check.</summary>
    public void Invalidate(string subjectId, string purpose) => InvalidateSubject(subjectId);

    public void InvalidateSubject(string subjectId)
    {
        Interlocked.Increment(ref _generation);
        _bySubject.TryRemove(subjectId, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _bySubject.Clear();
        Interlocked.Exchange(ref _count, 0);
    }

    /// <summary>The invalidation queue is connected: decisions may be cached from now on.</summary>
    public void Enable()
    {
        Clear();
        _enabled = true;
    }

    /// <summary>The invalidation queue is lost: forget everything and read the database until it is back.</summary>
    public void Disable()
    {
        _enabled = false;
        Clear();
    }
}
