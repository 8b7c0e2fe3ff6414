using System.Diagnostics;
using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.AppHost.Hosting.Replication;

/// <summary>What GET /api/regions shows for one region.</summary>
public sealed record RegionStatus(string Name, string Jurisdiction, string Role, string Database, string Broker);

/// <summary>The replication between the two clusters, as the primary sees it.</summary>
public sealed record ReplicationStatus(
    string Mode, string? StandbyState, long? LagBytes, double? ReplayLagSeconds, DateTimeOffset? ModeSince, string? Note);

public sealed record RegionsSnapshot(IReadOnlyList<RegionStatus> Regions, ReplicationStatus Replication, int Epoch, FailoverReport? LastFailover, bool FailoverInProgress);

/// <summary>One failover, step by step, with its timings.</summary>
public sealed record FailoverReport(string From, string To, DateTimeOffset StartedAt, double Seconds, bool Planned, IReadOnlyList<string> Steps);

/// <summary>
/// The two regions of the suite and what binds them: PostgreSQL streaming replication (synchronous while the standby
/// streams, asynchronous, visibly, while it does not), exchange federation both ways between the brokers, and the
/// failover that promotes the standby and fences the old primary. The AppHost owns both clusters, as INFRA.md advises
/// for one machine: no consensus daemon, one coordinator, and roles that survive restarts in the state folder.
/// </summary>
public sealed class RegionCoordinator : IAsyncDisposable
{
    /// <summary>How long the standby may be missing before commits stop waiting for it.</summary>
    public static readonly TimeSpan SyncGrace = TimeSpan.FromSeconds(2);

    private readonly ReplicationDeclaration _pair;
    private readonly Func<Resource, ResourceRunnerHandle> _runner;
    private readonly Action<string> _console;
    private readonly SemaphoreSlim _failover = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<Resource, DateTimeOffset?> _linkedAt = [];
    private readonly object _gate = new();
    private Task _monitor = Task.CompletedTask;
    private ReplicationStatus _replication = new("starting", null, null, null, null, null);
    private FailoverReport? _lastFailover;
    private DateTimeOffset? _standbyMissingSince;
    private DateTimeOffset _lastMetrics = DateTimeOffset.MinValue;

    internal RegionCoordinator(ReplicationDeclaration pair, RegionRoles roles, Func<Resource, ResourceRunnerHandle> runner, Action<string> console)
    {
        _pair = pair;
        Roles = roles;
        _runner = runner;
        _console = console;
    }

    public RegionRoles Roles { get; }

    /// <summary>Where the replication metrics go (the dashboard's telemetry window), as the standby cluster's gauges.</summary>
    internal Action<IEnumerable<Telemetry.MetricPoint>>? Metrics { get; set; }

    public Region Primary => Roles.IsPrimary(_pair.First.Region) ? _pair.First.Region : _pair.Second.Region;

    public Region Standby => Primary == _pair.First.Region ? _pair.Second.Region : _pair.First.Region;

    public IReadOnlyList<Region> Regions => [_pair.First.Region, _pair.Second.Region];

    internal void Start() => _monitor = Task.Run(() => MonitorAsync(_stop.Token));

    public RegionsSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new RegionsSnapshot(
                Regions.Select(r => new RegionStatus(r.Name, r.Jurisdiction, Roles.IsPrimary(r) ? "primary" : "standby",
                    Describe(_pair.Postgres(r)), Describe(_pair.RabbitMq(r)))).ToList(),
                _replication, Roles.Epoch, _lastFailover, _failover.CurrentCount == 0);
        }

        static string Describe(Resource r) => r.IsReady ? "healthy" : r.State == ResourceStates.Running ? "unhealthy" : r.State.ToLowerInvariant();
    }

    /// <summary>
    /// Makes <paramref name="to"/> the primary. Planned (the old primary is up): waits until the standby has applied
    /// everything, then fences the old primary's cluster (SIGKILL) before promoting, so the two never both take writes;
    /// the old cluster restarts as the new standby, rebuilt from the new primary. Unplanned (the old primary is lost):
    /// promotes at once; sync replication means every acknowledged commit is already on the standby.
    /// </summary>
    public async Task<FailoverReport> FailoverAsync(string to, CancellationToken cancellationToken = default)
    {
        var target = Regions.FirstOrDefault(r => string.Equals(r.Name, to, StringComparison.OrdinalIgnoreCase))
            ?? throw new FailoverRefusedException($"There is no region named '{to}'; the regions are {string.Join(", ", Regions)}.");
        if (!await _failover.WaitAsync(0, cancellationToken))
        {
            throw new FailoverRefusedException("A failover is already running; wait for it to finish (GET /api/regions).");
        }

        try
        {
            var from = Primary;
            if (target == from)
            {
                throw new FailoverRefusedException($"{target.Name} is the primary already.");
            }

            var newPrimary = _pair.Postgres(target);
            var oldPrimary = _pair.Postgres(from);
            if (newPrimary.State != ResourceStates.Running || await InRecoveryAsync(newPrimary, cancellationToken) != true)
            {
                throw new FailoverRefusedException($"{newPrimary.Name} is not a running standby ({newPrimary.State}); nothing to promote. Start it first.");
            }

            var clock = Stopwatch.StartNew();
            var startedAt = DateTimeOffset.UtcNow;
            var steps = new List<string>();
            void Step(string text)
            {
                steps.Add($"{clock.Elapsed.TotalSeconds,6:0.000} s  {text}");
                _console($"failover {from.Name} -> {target.Name}: {text}");
            }

            // The health watcher looks every two seconds; ask the cluster itself whether it is still there.
            var planned = oldPrimary.ProcessId is not null && await InRecoveryAsync(oldPrimary, cancellationToken) is not null;
            if (planned)
            {
                var caughtUp = await WaitForCatchUpAsync(oldPrimary, newPrimary.Name, TimeSpan.FromSeconds(10), cancellationToken);
                Step(caughtUp ? $"{newPrimary.Name} has applied everything {oldPrimary.Name} committed" : $"{newPrimary.Name} still lags after 10 s; acknowledged commits are on it (synchronous), others may not be");
            }
            else
            {
                Step($"{oldPrimary.Name} is {oldPrimary.State.ToLowerInvariant()}: unplanned failover");
            }

            // The record first: from here on no start of the old cluster can make it a primary again.
            Roles.SetPrimary(target.Name);
            Step($"roles recorded: {target.Name} primary (epoch {Roles.Epoch})");

            if (oldPrimary.ProcessId is not null)
            {
                var runner = _runner(oldPrimary);
                runner.Kill();
                Step($"{oldPrimary.Name} fenced (SIGKILL)");
                if (planned)
                {
                    // It comes back as the new standby, cloned from the new primary once that is promoted.
                    for (var i = 0; i < 100 && oldPrimary.ProcessId is not null; i++)
                    {
                        await Task.Delay(50, cancellationToken);
                    }

                    runner.Start();
                }
            }
            else
            {
                Step($"{oldPrimary.Name} is down; it rejoins as a standby when started again");
            }

            await PostgresReplication.PromoteAsync(newPrimary.Server, cancellationToken);
            Step($"{newPrimary.Name} promoted; services in {target.Name} take writes within a second, their outboxes re-publish what the old primary may not have delivered");

            lock (_gate)
            {
                _replication = new ReplicationStatus("none", null, null, null, DateTimeOffset.UtcNow, $"{from.Name} is rejoining as the standby");
                _standbyMissingSince = DateTimeOffset.UtcNow;
                _lastFailover = new FailoverReport(from.Name, target.Name, startedAt, clock.Elapsed.TotalSeconds, planned, steps);
                return _lastFailover;
            }
        }
        finally
        {
            _failover.Release();
        }
    }

    /// <summary>Brings a lost region's resources back (after a drill or an outage): its cluster rejoins as the standby.</summary>
    public void Rejoin(string region)
    {
        var target = Regions.FirstOrDefault(r => string.Equals(r.Name, region, StringComparison.OrdinalIgnoreCase))
            ?? throw new FailoverRefusedException($"There is no region named '{region}'.");
        foreach (var resource in target.Resources)
        {
            _runner(resource).Start();
        }
    }

    /// <summary>For drills: SIGKILL to every process of the region (broker, database, services), none restarted.</summary>
    public void KillRegion(string region)
    {
        var target = Regions.First(r => string.Equals(r.Name, region, StringComparison.OrdinalIgnoreCase));
        foreach (var resource in target.Resources)
        {
            _runner(resource).Kill();
        }

        _console($"{target.Name}: every process killed (SIGKILL), as in the loss of the region");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _monitor;
        _stop.Dispose();
    }

    private async Task MonitorAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await EnsureFederationAsync(stop);
                if (_failover.CurrentCount > 0)
                {
                    await WatchReplicationAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A cluster or broker restarting between checks; the next round sees it settled.
                lock (_gate)
                {
                    _replication = _replication with { Note = $"last check failed: {e.GetType().Name}" };
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Synchronous while the standby streams, so no acknowledged commit can be lost; asynchronous once it has been gone
    /// for <see cref="SyncGrace"/>, so the primary keeps taking writes (commits waiting meanwhile are released).
    /// </summary>
    private async Task WatchReplicationAsync(CancellationToken stop)
    {
        var primary = _pair.Postgres(Primary);
        var standby = _pair.Postgres(Standby);
        if (!primary.IsReady)
        {
            return;
        }

        // While the standby is being cloned, pg_basebackup's own WAL stream shows under the same name but never applies
        // anything: waiting for it would stall every commit, so only a running standby counts.
        var streaming = standby.State != ResourceStates.Running ? null : (await PostgresReplication.StandbysAsync(primary.Server, stop))
            .FirstOrDefault(s => s.Name == standby.Name && s.State == "streaming");
        var configured = await PostgresReplication.SynchronousStandbyNamesAsync(primary.Server, stop);
        var now = DateTimeOffset.UtcNow;
        string mode;
        string? note = null;
        if (streaming is not null)
        {
            _standbyMissingSince = null;
            if (configured.Length == 0)
            {
                await PostgresReplication.SetSynchronousStandbyAsync(primary.Server, standby.Name, stop);
                _console($"replication {primary.Name} -> {standby.Name}: synchronous (the standby streams)");
            }

            mode = "sync";
        }
        else
        {
            _standbyMissingSince ??= now;
            if (configured.Length > 0 && now - _standbyMissingSince >= SyncGrace)
            {
                await PostgresReplication.SetSynchronousStandbyAsync(primary.Server, null, stop);
                _console($"replication {primary.Name} -> {standby.Name}: ASYNCHRONOUS, the standby has been gone {SyncGrace.TotalSeconds:0} s; commits no longer wait for it");
                configured = "";
            }

            mode = configured.Length > 0 ? "sync-waiting" : "async";
            note = $"{standby.Name} is not streaming";
        }

        lock (_gate)
        {
            var since = _replication.Mode == mode ? _replication.ModeSince : now;
            _replication = new ReplicationStatus(mode, streaming?.State, streaming?.LagBytes, streaming?.ReplayLag?.TotalSeconds, since, note);
        }

        RecordMetrics(standby, mode, streaming, now);
    }

    /// <summary>Every 2 s: replication lag and mode as gauges of the standby cluster, charted beside the services' metrics.</summary>
    private void RecordMetrics(PostgresResource standby, string mode, StandbyStatus? streaming, DateTimeOffset now)
    {
        if (Metrics is null || now - _lastMetrics < TimeSpan.FromSeconds(2))
        {
            return;
        }

        _lastMetrics = now;
        var resource = new Telemetry.TelemetryResource(standby.Name, null, standby.Region.Name);
        var attributes = new Dictionary<string, string> { ["primary"] = Primary.Name };
        Telemetry.MetricPoint Gauge(string name, string unit, string description, double value) =>
            new(name, unit, description, "gauge", now, value, null, resource, attributes);
        var points = new List<Telemetry.MetricPoint>
        {
            Gauge("privacysuite.replication.synchronous", "", "1 while commits wait for the standby, 0 while asynchronous", mode == "sync" ? 1 : 0),
        };
        if (streaming is not null)
        {
            points.Add(Gauge("privacysuite.replication.lag_bytes", "By", "WAL the standby has not replayed yet", streaming.LagBytes));
            points.Add(Gauge("privacysuite.replication.replay_lag", "s", "Time the standby's replay trails the primary", streaming.ReplayLag?.TotalSeconds ?? 0));
        }

        Metrics(points);
    }

    /// <summary>Federation both ways (max-hops 1 stops a message from coming back): whichever region is primary, the other follows its events.</summary>
    private async Task EnsureFederationAsync(CancellationToken stop)
    {
        var first = _pair.RabbitMq(_pair.First.Region);
        var second = _pair.RabbitMq(_pair.Second.Region);
        foreach (var (upstream, downstream) in new[] { (first, second), (second, first) })
        {
            if (!downstream.IsReady || !upstream.IsReady || _linkedAt.GetValueOrDefault(downstream) == downstream.StartedAt)
            {
                continue;
            }

            await RabbitMqFederation.LinkAsync(upstream.Server, downstream.Server, cancellationToken: stop);
            _linkedAt[downstream] = downstream.StartedAt;
            _console($"federation: {downstream.Name} follows the events of {upstream.Name}");
        }
    }

    /// <summary>Whether the cluster is a standby; null when it does not answer (down, fenced, being rebuilt).</summary>
    private static async Task<bool?> InRecoveryAsync(PostgresResource resource, CancellationToken cancellationToken)
    {
        try
        {
            return await PostgresReplication.IsInRecoveryAsync(resource.Server, cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    private static async Task<bool> WaitForCatchUpAsync(PostgresResource primary, string standby, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var status = (await PostgresReplication.StandbysAsync(primary.Server, cancellationToken)).FirstOrDefault(s => s.Name == standby);
            if (status is { LagBytes: 0 })
            {
                return true;
            }

            await Task.Delay(50, cancellationToken);
        }

        return false;
    }
}

/// <summary>A failover that cannot run as asked; the message says why and what to do.</summary>
public sealed class FailoverRefusedException(string message) : Exception(message);

/// <summary>The two regions that replicate, with their clusters and brokers (AddReplication).</summary>
public sealed record ReplicationDeclaration(
    (Region Region, PostgresResource Postgres, RabbitMqResource RabbitMq) First,
    (Region Region, PostgresResource Postgres, RabbitMqResource RabbitMq) Second)
{
    public PostgresResource Postgres(Region region) => region == First.Region ? First.Postgres : Second.Postgres;

    public RabbitMqResource RabbitMq(Region region) => region == First.Region ? First.RabbitMq : Second.RabbitMq;
}

/// <summary>What the coordinator may do to a resource's supervisor.</summary>
internal sealed class ResourceRunnerHandle(Action kill, Action start)
{
    public void Kill() => kill();

    public void Start() => start();
}
