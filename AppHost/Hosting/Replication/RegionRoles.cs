using System.Text.Json;
using PrivacySuite.AppHost.Hosting.Model;

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

    public DateTimeOffset ChangedAt { get { lock (_gate) { return _state.ChangedAt; } } }

    public bool IsPrimary(Region region) => string.Equals(Primary, region.Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Makes <paramref name="region"/> the primary, on disk first (atomically), then in memory.</summary>
    public void SetPrimary(string region)
    {
        lock (_gate)
        {
            var next = new State(region, _state.Epoch + 1, DateTimeOffset.UtcNow);
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(next));
            File.Move(temporary, _path, overwrite: true);
            _state = next;
        }
    }

    private sealed record State(string Primary, int Epoch, DateTimeOffset ChangedAt);
}
