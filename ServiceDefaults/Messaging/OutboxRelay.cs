using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using MassTransit;
using Npgsql;
using PrivacySuite.ServiceDefaults.Data;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.ServiceDefaults.Messaging;

public sealed class OutboxOptions
{
    public int BatchSize { get; set; } = 200;

    /// <summary>How often the relay looks for work when nothing woke it (events committed by another process, retries due).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one publish may wait for the broker's confirm before it counts as failed.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Sent rows are kept this long (for failover checks and audits), then deleted.</summary>
    public TimeSpan KeepSent { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// After this database is promoted, rows sent this long before are published again: the old primary's broker may
    /// have confirmed them and died before any consumer (or the link to this region) took them. Inboxes drop the copies.
    /// </summary>
    public TimeSpan ReplayAfterPromotion { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Publishes committed outbox rows with publisher confirms. A row is marked sent only after the broker confirmed it;
/// a failed row is retried with exponential backoff and jitter, forever, so no committed event is lost. A row can be
/// published twice (confirm received, then the marking transaction fails): consumers' inboxes absorb that.
/// </summary>
public sealed partial class OutboxRelay<TDb>(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    RegionRole region,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay<TDb>> logger) : BackgroundService
    where TDb : ServiceDbContext
{
    private static readonly Counter<long> Published = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.outbox.published", description: "Outbox messages confirmed by the broker");
    private static readonly Counter<long> Failures = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.outbox.publish_failures", description: "Outbox publish attempts that failed and will be retried");
    private static readonly Histogram<double> RelayLag = SuiteTelemetry.Meter.CreateHistogram<double>(
        "privacysuite.outbox.relay_lag", unit: "s", description: "Time from commit to broker confirm");

    private long _backlog;
    private bool _onReplica;
    private bool _timelineChecked;
    private DateTimeOffset _lastHousekeeping = DateTimeOffset.MinValue;

    /// <summary>Unsent rows at the last count, for the backlog gauge.</summary>
    public long Backlog => Interlocked.Read(ref _backlog);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var gauge = InstanceGauge.Register("privacysuite.outbox.backlog", "Outbox messages committed but not yet confirmed by the broker",
            () => new Measurement<long>(Backlog, new KeyValuePair<string, object?>("db", typeof(TDb).Name)));
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            // A standby region's database is a read-only replica: the primary's relay publishes these rows. After a
            // failover promotes this database, the next poll relays whatever the old primary had not sent.
            var published = region.IsStandby ? OnReplica() : await RelayAsync(settings, stoppingToken);

            if (published < settings.BatchSize)
            {
                try
                {
                    await signal.WaitAsync(settings.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<int> RelayAsync(OutboxOptions settings, CancellationToken stoppingToken)
    {
        try
        {
            if (!_timelineChecked)
            {
                await ReplayAfterPromotionAsync(settings, stoppingToken);
                _timelineChecked = true;
            }

            var published = await RelayBatchAsync(settings, stoppingToken);
            await HousekeepAsync(settings, stoppingToken);
            if (_onReplica)
            {
                _onReplica = false;
                LogPrimaryAgain(logger);
            }

            return published;
        }
        catch (Exception e) when (IsReplica(e))
        {
            // The role changed since it was last read.
            return OnReplica();
        }
        catch (Exception e) when (e is NpgsqlException or DbUpdateException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
        {
            // The database is unreachable: nothing can be lost (rows stay unsent), so wait and try again.
            LogRelayFailed(logger, e.GetType().Name);
            return 0;
        }
    }

    private int OnReplica()
    {
        if (!_onReplica)
        {
            _onReplica = true;
            LogOnReplica(logger);
        }

        // Promotion starts a new timeline: look again once writable.
        _timelineChecked = false;
        return 0;
    }

    private static bool IsReplica(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.ObjectNotInPrerequisiteState })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Publishes one batch of due rows; returns how many were confirmed.</summary>
    public async Task<int> RelayBatchAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDb>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();

        // SKIP LOCKED lets several relays (or a relay and a failover drain) share the table without sending a row twice at once.
        var batch = await db.OutboxMessages
            .FromSql($"select * from outbox_messages where sent_at is null and next_attempt_at <= {now} order by sequence limit {settings.BatchSize} for update skip locked")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (batch.Count == 0)
        {
            return 0;
        }

        var results = await Task.WhenAll(batch.Select(m => PublishAsync(m, settings.PublishTimeout, cancellationToken)));
        var sentAt = time.GetUtcNow();
        var confirmedIds = new List<long>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            if (results[i] is null)
            {
                confirmedIds.Add(message.Sequence);
                RelayLag.Record((sentAt - message.CreatedAt).TotalSeconds);
                continue;
            }

            var attempts = message.Attempts + 1;
            var nextAttempt = sentAt + Backoff(attempts, settings.MaxBackoff);
            var error = results[i]!.GetType().Name;
            await db.OutboxMessages.Where(m => m.Sequence == message.Sequence).ExecuteUpdateAsync(
                s => s.SetProperty(m => m.Attempts, attempts).SetProperty(m => m.NextAttemptAt, nextAttempt).SetProperty(m => m.LastError, error),
                cancellationToken);
        }

        // One statement for the whole confirmed batch.
        await db.OutboxMessages.Where(m => confirmedIds.Contains(m.Sequence)).ExecuteUpdateAsync(
            s => s.SetProperty(m => m.SentAt, sentAt).SetProperty(m => m.LastError, (string?)null), cancellationToken);
        await tx.CommitAsync(cancellationToken);

        var confirmed = confirmedIds.Count;
        Published.Add(confirmed);
        if (confirmed < batch.Count)
        {
            Failures.Add(batch.Count - confirmed);
            LogPublishFailed(logger, batch.Count - confirmed, results.First(r => r is not null)!.GetType().Name);
        }

        return confirmed;
    }

    /// <summary>
    /// Records the database's timeline; on a timeline not seen before (this database was promoted), makes the rows sent
    /// within <see cref="OutboxOptions.ReplayAfterPromotion"/> due again. Returns how many rows will be re-published.
    /// </summary>
    public async Task<int> ReplayAfterPromotionAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDb>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        // The first eight hex digits of the current WAL file name are the timeline; a promotion starts a new one.
        // On a replica pg_current_wal_lsn() fails with "recovery is in progress": the caller treats that as a replica.
        var timeline = await db.Database.SqlQueryRaw<long>(
            "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint as \"Value\"").SingleAsync(cancellationToken);
        var known = await db.Database.SqlQueryRaw<long>("select coalesce(max(timeline), 0) as \"Value\" from outbox_timelines").SingleAsync(cancellationToken);
        if (timeline <= known)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"insert into outbox_timelines (timeline, seen_at) values ({timeline}, {now}) on conflict do nothing", cancellationToken);
        var replayed = 0;
        if (known > 0)
        {
            var since = now - settings.ReplayAfterPromotion;
            replayed = await db.OutboxMessages.Where(m => m.SentAt != null && m.SentAt >= since).ExecuteUpdateAsync(
                s => s.SetProperty(m => m.SentAt, (DateTimeOffset?)null).SetProperty(m => m.NextAttemptAt, now), cancellationToken);
            LogReplaying(logger, timeline, replayed);
        }

        await tx.CommitAsync(cancellationToken);
        return replayed;
    }

    private async Task<Exception?> PublishAsync(OutboxMessage message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var parent = ActivityContext.TryParse(message.TraceParent, null, out var context) ? context : default;
        using var activity = SuiteTelemetry.Source.StartActivity("outbox publish", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.message.id", message.MessageId);
        activity?.SetTag("privacysuite.outbox.attempt", message.Attempts + 1);
        try
        {
            var type = Type.GetType(message.MessageType, throwOnError: true)!;
            var payload = JsonSerializer.Deserialize(message.Payload, type, ServiceDbContext.EventJson)!;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            await bus.Publish(payload, type, ctx => ctx.MessageId = message.MessageId, cts.Token);
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            return e;
        }
    }

    /// <summary>Exponential from one second, capped, with up to 20% jitter so that a broker coming back is not stampeded.</summary>
    internal static TimeSpan Backoff(int attempts, TimeSpan max)
    {
        var seconds = Math.Min(Math.Pow(2, Math.Min(attempts - 1, 20)), max.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (1 + (Random.Shared.NextDouble() * 0.2)));
    }

    private async Task HousekeepAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _lastHousekeeping < TimeSpan.FromSeconds(2))
        {
            return;
        }

        _lastHousekeeping = now;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDb>();
        Interlocked.Exchange(ref _backlog, await db.OutboxMessages.LongCountAsync(m => m.SentAt == null, cancellationToken));
        var cutoff = now - settings.KeepSent;
        await db.OutboxMessages.Where(m => m.SentAt != null && m.SentAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox relay is idle: its database is a read-only replica")]
    private static partial void LogOnReplica(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox relay resumed: its database accepts writes")]
    private static partial void LogPrimaryAgain(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database promoted (timeline {Timeline}): re-publishing {Count} recently sent outbox messages; inboxes drop the copies")]
    private static partial void LogReplaying(ILogger logger, long timeline, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay could not reach its database ({ErrorType}); retrying")]
    private static partial void LogRelayFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} outbox messages were not confirmed ({ErrorType}); they will be retried with backoff")]
    private static partial void LogPublishFailed(ILogger logger, int count, string errorType);
}
