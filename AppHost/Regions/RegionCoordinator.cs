using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.AppHost.Resources;

namespace PrivacySuite.AppHost.Regions;

/// <summary>One region: its cluster, its broker, and every resource that goes down with it.</summary>
public sealed record RegionResources(string Name, string Jurisdiction, PostgresClusterResource Postgres, RabbitMqNodeResource RabbitMq)
{
    public List<IResource> Members { get; } = [];
}

/// <summary>
/// The two regions and what binds them: PostgreSQL streaming replication (synchronous while the standby streams,
/// asynchronous, visibly, once it has been gone <see cref="SyncGrace"/>), exchange federation both ways between the
/// brokers, and the failover that promotes the standby and fences the old primary. The AppHost owns both clusters, as
/// INFRA.md advises for one machine: no consensus daemon, one coordinator, roles kept in the state folder.
/// Operators reach it through the clusters' resource commands (dashboard, Aspire CLI, tests' ResourceCommands).
/// </summary>
public sealed class RegionCoordinator(
    IReadOnlyList<RegionResources> regions,
    RegionRoles roles,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    ResourceLoggerService resourceLogs,
    ILogger<RegionCoordinator> logger) : BackgroundService
{
    /// <summary>How long the standby may be missing before commits stop waiting for it.</summary>
    public static readonly TimeSpan SyncGrace = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan PeerWait = TimeSpan.FromSeconds(90);
    private readonly ConcurrentDictionary<string, CustomResourceSnapshot> _snapshots = new();
    private readonly Dictionary<string, DateTime?> _federatedAt = [];
    private readonly Dictionary<string, string> _published = [];
    private readonly SemaphoreSlim _failover = new(1, 1);
    private DateTimeOffset? _standbyMissingSince;
    private string _mode = "starting";

    public RegionResources Primary => regions.First(r => roles.IsPrimary(r.Name));

    public RegionResources Standby => regions.First(r => !roles.IsPrimary(r.Name));

    public RegionResources Find(string name) => regions.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FailoverRefusedException($"There is no region named '{name}'; the regions are {string.Join(", ", regions.Select(r => r.Name))}.");

    /// <summary>
    /// Before each start of a cluster: a primary starts from its own data (never an empty one while the peer holds
    /// data, never a standby's data); a standby keeps its data when it is one, and otherwise (first start, or the old
    /// primary after a failover, fenced and on an abandoned timeline) is cloned from the peer once that is a primary.
    /// </summary>
    public async Task PrepareClusterAsync(PostgresClusterResource cluster, CancellationToken cancellationToken)
    {
        var server = cluster.Server;
        var peer = regions.First(r => r.Postgres != cluster).Postgres.Server;
        if (roles.IsPrimary(cluster.Region))
        {
            if (!HasData(server) && HasData(peer))
            {
                throw new HostingException(
                    $"{cluster.Name} is the primary but its data folder is empty, while the other region's cluster holds data. Refusing to " +
                    "create an empty primary: fail over to the other region, or start with --fresh to discard everything.");
            }

            if (IsStandbyData(server))
            {
                throw new HostingException($"{cluster.Name} holds a standby's data but its region is the primary; run the failover command to promote it.");
            }

            await server.PrepareAsync(cancellationToken);
            return;
        }

        if (IsStandbyData(server))
        {
            await server.WriteSettingsAsync(cancellationToken);
            await PostgresReplication.PointStandbyAtAsync(server, peer, cancellationToken);
            return;
        }

        Log(cluster, $"{cluster.Name} is the standby region's cluster; cloning it from the primary");
        await WaitForPrimaryAsync(peer, cancellationToken);
        if (Directory.Exists(server.DataDirectory))
        {
            // Kept aside for forensics until the next rebuild.
            var aside = server.DataDirectory + ".fenced";
            if (Directory.Exists(aside))
            {
                Directory.Delete(aside, recursive: true);
            }

            Directory.Move(server.DataDirectory, aside);
        }

        await PostgresReplication.CreateStandbyAsync(peer, server, cancellationToken);
        await server.WriteSettingsAsync(cancellationToken);
    }

    /// <summary>
    /// Makes <paramref name="to"/> the primary. Planned (the old primary answers): waits until the standby has applied
    /// everything, then fences the old primary (SIGKILL) before promoting, so the two never both take writes; the old
    /// cluster restarts as the new standby, cloned from the new primary. Unplanned (the old primary is lost): promotes
    /// at once when replication was synchronous, since every acknowledged commit is then already on the standby.
    /// A promotion that can lose acknowledged commits (the standby has not caught up, or replication had fallen back
    /// to asynchronous) is refused unless <paramref name="acceptLoss"/>; an accepted loss is recorded with the roles.
    /// </summary>
    public async Task<string> FailoverAsync(string to, bool acceptLoss, CancellationToken cancellationToken)
    {
        var target = Find(to);
        if (!await _failover.WaitAsync(0, cancellationToken))
        {
            throw new FailoverRefusedException("A failover is already running; wait for it to finish.");
        }

        try
        {
            var from = Primary;
            if (target == from)
            {
                throw new FailoverRefusedException($"{target.Name} is the primary already.");
            }

            if (await InRecoveryAsync(target.Postgres.Server, cancellationToken) != true)
            {
                throw new FailoverRefusedException($"{target.Postgres.Name} is not a running standby; nothing to promote. Start it first.");
            }

            var clock = Stopwatch.StartNew();
            var steps = new List<string>();
            void Step(string text)
            {
                steps.Add($"{clock.Elapsed.TotalSeconds,6:0.000} s  {text}");
                Log(target.Postgres, $"failover {from.Name} -> {target.Name}: {text}");
            }

            var planned = await InRecoveryAsync(from.Postgres.Server, cancellationToken) is not null;
            string? loss = null;
            if (planned)
            {
                if (await WaitForCatchUpAsync(from.Postgres.Server, target.Postgres.Name, TimeSpan.FromSeconds(10), cancellationToken))
                {
                    Step($"{target.Postgres.Name} has applied everything {from.Postgres.Name} committed");
                }
                else
                {
                    loss = $"{target.Postgres.Name} had not applied everything {from.Postgres.Name} committed after 10 s";
                }
            }
            else if (_mode != "sync")
            {
                loss = $"{from.Postgres.Name} does not answer and replication was asynchronous ({_mode}), not synchronous: commits it acknowledged may be missing from {target.Postgres.Name}";
            }
            else
            {
                Step($"{from.Postgres.Name} does not answer: unplanned failover; replication was synchronous, so every acknowledged commit is on {target.Postgres.Name}");
            }

            if (loss is not null && !acceptLoss)
            {
                throw new FailoverRefusedException($"Refused: {loss}. Promoting now can lose acknowledged writes. Bring {from.Name} back, " +
                                                   "or run the failover again accepting the loss (accept-loss), which is recorded.");
            }

            // The record first: from here on no start of the old cluster can make it a primary again.
            roles.SetPrimary(target.Name, loss);
            Step($"roles recorded: {target.Name} primary (epoch {roles.Epoch})" + (loss is null ? "" : $"; the operator accepted a possible loss: {loss}"));

            if (Pid(from.Postgres) is { } pid)
            {
                ProcessTree.Kill(pid);
                Step($"{from.Postgres.Name} fenced (SIGKILL)");
            }

            await PostgresReplication.PromoteAsync(target.Postgres.Server, cancellationToken);
            _standbyMissingSince = DateTimeOffset.UtcNow;
            // Shown at once, not at the next check: the new primary has no standby yet, so its commits wait for none.
            // Until the watch sees the rebuilt standby stream, nobody may read the old "sync" as the new pair's.
            _mode = "async";
            await PublishAsync(target.Postgres, "primary", null);
            await PublishAsync(from.Postgres, "standby", null);
            Step($"{target.Postgres.Name} promoted; services in {target.Name} take writes within a second, their outboxes re-publish what the old primary may not have delivered");

            if (planned)
            {
                // It comes back as the new standby, cloned from the new primary; the failover does not wait for the clone.
                _ = Task.Run(() => RestartAsStandbyAsync(from.Postgres), CancellationToken.None);
                Step($"{from.Postgres.Name} restarting as the standby of {target.Name}");
            }
            else
            {
                Step($"{from.Postgres.Name} is down; it rejoins as the standby when its region is started again (rejoin)");
            }

            return string.Join('\n', steps);
        }
        finally
        {
            _failover.Release();
        }
    }

    /// <summary>Starts a lost region's resources again: its cluster rejoins as the standby.</summary>
    public async Task RejoinAsync(string region, CancellationToken cancellationToken)
    {
        var target = Find(region);
        foreach (var resource in target.Members.Where(m => Pid(m) is null))
        {
            await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        }
    }

    /// <summary>For drills: SIGKILL to every process of the region (broker, database, services), none restarted.</summary>
    public void KillRegion(string region)
    {
        var target = Find(region);
        foreach (var member in target.Members)
        {
            if (Pid(member) is { } pid)
            {
                ProcessTree.Kill(pid);
            }
        }

        Log(target.Postgres, $"{target.Name}: every process killed (SIGKILL), as in the loss of the region");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = Task.Run(() => WatchSnapshotsAsync(stoppingToken), stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await EnsureFederationAsync(stoppingToken);
                if (_failover.CurrentCount > 0)
                {
                    await WatchReplicationAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or HostingException or HttpRequestException or TimeoutException or IOException)
            {
                // A cluster or broker restarting between checks; the next round sees it settled.
                logger.LogDebug("Region check failed: {Error}", e.GetType().Name);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task WatchSnapshotsAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in notifications.WatchAsync(stoppingToken))
            {
                _snapshots[e.Resource.Name] = e.Snapshot;
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>
    /// Synchronous while the standby streams, so no acknowledged commit can be lost; asynchronous once it has been gone
    /// for <see cref="SyncGrace"/>, so the primary keeps taking writes. The mode and lag show on both clusters.
    /// </summary>
    private async Task WatchReplicationAsync(CancellationToken stop)
    {
        var primary = Primary.Postgres;
        var standby = Standby.Postgres;
        if (!IsHealthy(primary))
        {
            return;
        }

        // While the standby is being cloned, pg_basebackup's WAL stream shows under the same name but never applies
        // anything: waiting for it would stall every commit, so only a running standby counts.
        var streaming = !IsRunning(standby) ? null : (await PostgresReplication.StandbysAsync(primary.Server, stop))
            .FirstOrDefault(s => s.Name == standby.Name && s.State == "streaming");
        var configured = await PostgresReplication.SynchronousStandbyNamesAsync(primary.Server, stop);
        var now = DateTimeOffset.UtcNow;
        if (streaming is not null)
        {
            _standbyMissingSince = null;
            if (configured.Length == 0)
            {
                await PostgresReplication.SetSynchronousStandbyAsync(primary.Server, standby.Name, stop);
                Log(primary, $"replication {primary.Name} -> {standby.Name}: synchronous (the standby streams)");
            }

            _mode = "sync";
        }
        else
        {
            _standbyMissingSince ??= now;
            if (configured.Length > 0 && now - _standbyMissingSince >= SyncGrace)
            {
                await PostgresReplication.SetSynchronousStandbyAsync(primary.Server, null, stop);
                Log(primary, $"replication {primary.Name} -> {standby.Name}: ASYNCHRONOUS, the standby has been gone {SyncGrace.TotalSeconds:0} s; commits no longer wait for it");
                configured = "";
            }

            _mode = configured.Length > 0 ? "sync-waiting" : "async";
        }

        await PublishAsync(primary, "primary", streaming);
        await PublishAsync(standby, "standby", streaming);
    }

    private Task PublishAsync(PostgresClusterResource cluster, string role, StandbyStatus? streaming)
    {
        var properties = new Dictionary<string, string>
        {
            ["region.role"] = role,
            ["region.epoch"] = roles.Epoch.ToString(CultureInfo.InvariantCulture),
            ["replication.mode"] = _mode,
            ["replication.lag_bytes"] = streaming?.LagBytes.ToString(CultureInfo.InvariantCulture) ?? "",
            ["replication.replay_lag_s"] = streaming?.ReplayLag?.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) ?? "",
        };

        // Every snapshot goes to the dashboard and every watcher: publish only what changed (or after a restart).
        var text = string.Join(';', properties.Select(p => $"{p.Key}={p.Value}")) + _snapshots.GetValueOrDefault(cluster.Name)?.StartTimeStamp;
        if (_published.GetValueOrDefault(cluster.Name) == text)
        {
            return Task.CompletedTask;
        }

        _published[cluster.Name] = text;
        return notifications.PublishUpdateAsync(cluster, s => s with
        {
            Properties = [.. s.Properties.Where(p => !properties.ContainsKey(p.Name)), .. properties.Select(p => new ResourcePropertySnapshot(p.Key, p.Value))],
        });
    }

    /// <summary>Federation both ways (max-hops 1 stops a message from coming back): whichever region is primary, the other follows its events.</summary>
    private async Task EnsureFederationAsync(CancellationToken stop)
    {
        foreach (var downstream in regions)
        {
            var upstream = regions.First(r => r != downstream);
            var startedAt = _snapshots.GetValueOrDefault(downstream.RabbitMq.Name)?.StartTimeStamp;
            if (!IsHealthy(downstream.RabbitMq) || !IsHealthy(upstream.RabbitMq) || _federatedAt.GetValueOrDefault(downstream.Name) == startedAt)
            {
                continue;
            }

            await RabbitMqFederation.LinkAsync(upstream.RabbitMq.Server, downstream.RabbitMq.Server, cancellationToken: stop);
            _federatedAt[downstream.Name] = startedAt;
            Log(downstream.RabbitMq, $"federation: {downstream.RabbitMq.Name} follows the events of {upstream.RabbitMq.Name}");
        }
    }

    private bool IsRunning(IResource resource) => _snapshots.GetValueOrDefault(resource.Name)?.State?.Text == KnownResourceStates.Running;

    private bool IsHealthy(IResource resource) =>
        IsRunning(resource) && _snapshots.GetValueOrDefault(resource.Name)?.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;

    /// <summary>The resource's process while it runs (DCP reports it as executable.pid).</summary>
    private int? Pid(IResource resource) =>
        IsRunning(resource) && _snapshots.GetValueOrDefault(resource.Name)?.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value &&
        int.TryParse(value.ToString(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>
    /// Starts a fenced cluster again once DCP has seen it end (a start while it still shows Running or Stopping fails),
    /// trying a few times: its preparation clones it from the new primary.
    /// </summary>
    private async Task RestartAsStandbyAsync(PostgresClusterResource cluster)
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            string[] ended = [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart];
            for (var i = 0; i < 200 && !ended.Contains(_snapshots.GetValueOrDefault(cluster.Name)?.State?.Text); i++)
            {
                await Task.Delay(50);
            }

            var result = await commands.ExecuteCommandAsync(cluster, KnownResourceCommands.StartCommand, CancellationToken.None);
            if (result.Success)
            {
                return;
            }

            Log(cluster, $"{cluster.Name} did not start as the standby (attempt {attempt}): {result.Message}");
            await Task.Delay(TimeSpan.FromSeconds(attempt));
        }
    }

    private void Log(IResource resource, string text)
    {
        resourceLogs.GetLogger(resource).LogInformation("{Text}", text);
        logger.LogInformation("{Text}", text);
    }

    private static bool HasData(PostgresServer server) => File.Exists(Path.Combine(server.DataDirectory, "PG_VERSION"));

    private static bool IsStandbyData(PostgresServer server) => HasData(server) && File.Exists(Path.Combine(server.DataDirectory, "standby.signal"));

    /// <summary>Whether the cluster is a standby; null when it does not answer (down, fenced, being rebuilt).</summary>
    private static async Task<bool?> InRecoveryAsync(PostgresServer server, CancellationToken cancellationToken)
    {
        try
        {
            return await PostgresReplication.IsInRecoveryAsync(server, cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    private static async Task WaitForPrimaryAsync(PostgresServer peer, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + PeerWait;
        while (DateTime.UtcNow < deadline)
        {
            if (await InRecoveryAsync(peer, cancellationToken) == false)
            {
                return;
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new HostingException("The other region's cluster is not a running primary, so there is nothing to clone a standby from; " +
                                   "this cluster stays down (fenced) until a primary region is up.");
    }

    private static async Task<bool> WaitForCatchUpAsync(PostgresServer primary, string standby, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var status = (await PostgresReplication.StandbysAsync(primary, cancellationToken)).FirstOrDefault(s => s.Name == standby);
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
