using System.Text.Json;

namespace PrivacySuite.AppHost.Hosting.Replication;

/// <summary>
/// Which region is the primary, kept in the state folder so that it survives the AppHost: after a failover a restart
/// must never bring the old primary back as a primary (that would be split brain). Only a failover changes it.
/// </summary>
public sealed class RegionRoles
{
    public const string FileName = "regions.json";
    private readonly string _path;
    private readonly object _gate = new();
    private State _state;

    public RegionRoles(string stateDir, string initialPrimary)
    {
        _path = Path.Combine(stateDir, FileName);
        _state = File.Exists(_path) && JsonSerializer.Deserialize<State>(File.ReadAllText(_path)) is { Primary.Length: > 0 } saved
            ? saved
            : new State(initialPrimary, 1, DateTimeOffset.UtcNow);
    }

    public string Primary { get { lock (_gate) { return _state.Primary; } } }

    /// <summary>Counts role changes; a fenced cluster from an older epoch must be rebuilt before it may serve.</summary>
    public int Epoch { get { lock (_gate) { return _state.Epoch; } } }

    public bool IsPrimary(string region) => string.Equals(Primary, region, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Makes <paramref name="region"/> the primary, on disk first (atomically), then in memory. A loss the operator
    /// accepted to get there is kept with the roles, and every change is appended to <see cref="HistoryFileName"/>.
    /// </summary>
    public void SetPrimary(string region, string? acceptedLoss = null)
    {
        lock (_gate)
        {
            var next = new State(region, _state.Epoch + 1, DateTimeOffset.UtcNow, acceptedLoss);
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(next));
            File.Move(temporary, _path, overwrite: true);
            File.AppendAllText(Path.Combine(Path.GetDirectoryName(_path)!, HistoryFileName), JsonSerializer.Serialize(next) + "\n");
            _state = next;
        }
    }

    /// <summary>Every role change, one JSON line each: the primary, the epoch, when, and any loss the operator accepted.</summary>
    public const string HistoryFileName = "regions-history.jsonl";

    private sealed record State(string Primary, int Epoch, DateTimeOffset ChangedAt, string? AcceptedLoss = null);
}
