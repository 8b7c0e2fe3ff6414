using System.Collections.Concurrent;

namespace PrivacySuite.Client;

/// <summary>
/// A product backend's local memory of consent checks. Its promise is explicit: an answer is at most
/// <see cref="MaxStaleness"/> old. A withdrawal made through this client clears its entry at once; a backend that hears
/// the suite's <c>ConsentWithdrawn</c> or <c>AccountCancelled</c> events calls <see cref="Invalidate"/> or
/// <see cref="InvalidateSubject"/> to do the same for changes made elsewhere.
/// </summary>
public sealed class ConsentDecisionCache
{
    private readonly ConcurrentDictionary<(string Subject, string Purpose), (ConsentCheckResult Result, long At)> _entries = new();
    private readonly TimeProvider _time;
    private readonly int _maxEntries;
    private long _generation;

    public ConsentDecisionCache(TimeSpan maxStaleness, TimeProvider? time = null, int maxEntries = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxStaleness, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxEntries, 0);
        MaxStaleness = maxStaleness;
        _time = time ?? TimeProvider.System;
        _maxEntries = maxEntries;
    }

    /// <summary>The oldest an answer from this cache can be.</summary>
    public TimeSpan MaxStaleness { get; }

    public int Count => _entries.Count;

    internal long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(string subjectId, string purpose, out ConsentCheckResult result)
    {
        if (_entries.TryGetValue((subjectId, purpose), out var entry))
        {
            if (_time.GetElapsedTime(entry.At) < MaxStaleness)
            {
                result = entry.Result;
                return true;
            }

            _entries.TryRemove(new KeyValuePair<(string, string), (ConsentCheckResult, long)>((subjectId, purpose), entry));
        }

        result = null!;
        return false;
    }

    /// <summary>Keeps an answer unless something was invalidated since <paramref name="generationAtRequest"/> (the answer may predate it).</summary>
    internal void Store(string subjectId, string purpose, ConsentCheckResult result, long generationAtRequest)
    {
        if (Generation != generationAtRequest)
        {
            return;
        }

        if (_entries.Count >= _maxEntries)
        {
            _entries.Clear();
        }

        var entry = (result, _time.GetTimestamp());
        _entries[(subjectId, purpose)] = entry;
        if (Generation != generationAtRequest)
        {
            _entries.TryRemove(new KeyValuePair<(string, string), (ConsentCheckResult, long)>((subjectId, purpose), entry));
        }
    }

    /// <summary>Forgets the answer for one subject and purpose (a <c>ConsentWithdrawn</c> or <c>ConsentGranted</c> event).</summary>
    public void Invalidate(string subjectId, string purpose)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove((subjectId, purpose), out _);
    }

    /// <summary>Forgets every answer for a subject (an <c>AccountCancelled</c> event).</summary>
    public void InvalidateSubject(string subjectId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var key in _entries.Keys)
        {
            if (key.Subject == subjectId)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Forgets everything (a <c>PolicyVersionPublished</c> event).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
