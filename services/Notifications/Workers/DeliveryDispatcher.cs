using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PrivacySuite.Notifications.Channels;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.Notifications.Workers;

/// <summary>
/// Sends pending deliveries in batches. Each delivery is claimed with a lease (several instances, or a new primary after
/// a failover, share the table with SKIP LOCKED), the contacts of a claimed batch are fetched from the vault in one call
/// (held in memory until sent, never stored), the notice is rendered in the subject's language, and the channels are
/// tried in the subject's order.
/// <para>
/// At most once per (request, subject, channel): a <c>send_attempts</c> row is committed before the send, and its key
/// forbids a second one. If the process dies between the send and the record of its result, the row stays
/// <c>sending</c>; whoever claims the delivery next cannot know whether it went out, so it marks the attempt
/// <c>in_doubt</c>, never sends on that channel again, and falls back to the subject's next channel (an incident notice
/// must reach the person; a second channel is not a duplicate on the first). The database replicates synchronously to
/// the standby region, so after a failover the new primary sees the same ledger.
/// </para>
/// </summary>
public sealed partial class DeliveryDispatcher(
    IServiceScopeFactory scopes,
    ChannelRouter router,
    ContactBounces bounces,
    DeliverySignal signal,
    RegionRole region,
    IOptions<NotificationsOptions> options,
    IOptions<OnCallOptions> onCallOptions,
    TimeProvider time,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    private static readonly Counter<long> Outcomes = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.notifications.deliveries", description: "Deliveries completed, by channel and status");

    private static readonly Counter<long> Bounces = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.notifications.bounces", description: "Contacts refused for good by their channel (recorded against the subject), by channel");

    private readonly ConcurrentDictionary<Guid, NoticeRequest> _requests = new();

    // A request's notice depends only on the request and the language, so a campaign renders it once per language
    // (validated then, at render time); null when the variables did not fit.
    private readonly ConcurrentDictionary<(Guid RequestId, string Language), RenderedNotice?> _rendered = new();
    private readonly SendLedger _ledger = new(scopes, time);

    private static readonly IReadOnlySet<(string, string)> NoBounces = new HashSet<(string, string)>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;

        // Claimed deliveries wait in a short queue for a pool of workers: no batch waits for its slowest member, and
        // few leases are held ahead of the work (at most QueueCapacity), so a pause takes effect within that many sends
        // and the contacts fetched with a batch are at most that many sends old when used.
        var queue = Channel.CreateBounded<Claimed>(new BoundedChannelOptions(QueueCapacity(settings)) { SingleWriter = true });
        var ledger = _ledger.RunAsync();
        var workers = Enumerable.Range(0, settings.Concurrency)
            .Select(_ => Task.Run(() => WorkAsync(queue.Reader, settings, stoppingToken), CancellationToken.None))
            .ToList();
        try
        {
            await ClaimLoopAsync(queue, settings, stoppingToken);
        }
        finally
        {
            queue.Writer.TryComplete();
            await Task.WhenAll(workers);
            _ledger.Complete();
            await ledger;
            await ReleaseAsync(queue.Reader);
        }
    }

    // Enough claimed ahead that the workers do not wait for the next claim and vault call; a pause still takes effect
    // within this many sends.
    private static int QueueCapacity(NotificationsOptions settings) => settings.Concurrency * 2 + settings.BatchSize;

    private async Task ClaimLoopAsync(Channel<Claimed> queue, NotificationsOptions settings, CancellationToken stoppingToken)
    {
        var capacity = QueueCapacity(settings);
        while (!stoppingToken.IsCancellationRequested)
        {
            var room = Math.Min(settings.BatchSize, capacity - queue.Reader.Count);

            // The standby region's replica is read-only: the primary's dispatcher sends; this one waits to be promoted.
            if (region.IsStandby)
            {
                try
                {
                    await signal.WaitAsync(settings.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (room < Math.Min(settings.BatchSize, settings.Concurrency))
            {
                try
                {
                    await Task.Delay(5, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            IReadOnlyList<Claimed> batch;
            try
            {
                batch = await ClaimAsync(settings, room, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or DbUpdateException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                Log.DispatcherFailed(logger, e.GetType().Name);
                batch = [];
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var delivery in batch)
            {
                // Room was checked above and only this loop writes, so this does not wait.
                await queue.Writer.WriteAsync(delivery, CancellationToken.None);
            }

            if (batch.Count == 0)
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

    private async Task WorkAsync(ChannelReader<Claimed> queue, NotificationsOptions settings, CancellationToken stoppingToken)
    {
        // A delivery a worker has started is finished even while the host stops, so a graceful stop leaves no send in doubt.
        while (!stoppingToken.IsCancellationRequested && await WaitToReadAsync(queue, stoppingToken))
        {
            if (!stoppingToken.IsCancellationRequested && queue.TryRead(out var delivery))
            {
                await DeliverAsync(delivery, settings, CancellationToken.None);
            }
        }
    }

    private static async Task<bool> WaitToReadAsync(ChannelReader<Claimed> queue, CancellationToken stoppingToken)
    {
        try
        {
            return await queue.WaitToReadAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Gives back the leases of claimed deliveries no worker started, so the next instance takes them at once.</summary>
    private async Task ReleaseAsync(ChannelReader<Claimed> queue)
    {
        var unstarted = new List<long>();
        while (queue.TryRead(out var claimed))
        {
            unstarted.Add(claimed.Delivery.Sequence);
        }

        if (unstarted.Count == 0)
        {
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
            await db.Deliveries.Where(d => unstarted.Contains(d.Sequence) && d.Status == DeliveryStatus.Pending)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or DbUpdateException or InvalidOperationException)
        {
            // Their leases expire instead.
            Log.DispatcherFailed(logger, e.GetType().Name);
        }
    }

    private async Task<IReadOnlyList<Claimed>> ClaimAsync(NotificationsOptions settings, int limit, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var now = time.GetUtcNow();
        var leaseUntil = now + settings.LeaseDuration;

        // The claim must walk the queue's index in (priority, sequence) order and stop after `limit` rows. Two things made
        // PostgreSQL read and sort the whole queue instead (50-60 ms a claim at 70,000 pending, most of its CPU in a
        // campaign): a NOT EXISTS on paused requests, planned as a hash anti-join whose estimate hid the LIMIT, and the
        // statistics of a queue just filled by a bulk intake (the partial index looks nearly empty). The paused check is
        // a per-row subplan, and sorting is ruled out for this statement, so only the ordered index walk is left.
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("set local enable_sort = off", cancellationToken);
        var claimed = await db.Deliveries.FromSql(
            $"""
            update deliveries d set lease_until = {leaseUntil}, attempts = d.attempts + 1
            from (select x.sequence from deliveries x
                  where x.status = 'pending' and x.next_attempt_at <= {now} and (x.lease_until is null or x.lease_until < {now})
                    and (select r.paused from notice_requests r where r.request_id = x.request_id) is not true
                  order by x.priority, x.sequence
                  limit {limit}
                  for update of x skip locked) c
            where d.sequence = c.sequence
            returning d.*
            """).AsNoTracking().ToListAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);

        if (_requests.Count > 10_000)
        {
            _requests.Clear(); // requests never change after intake (pausing is read from the table), so this is only a cache
            _rendered.Clear();
        }

        var missing = claimed.Select(d => d.RequestId).Distinct().Where(id => !_requests.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            foreach (var request in await db.NoticeRequests.AsNoTracking().Where(r => missing.Contains(r.RequestId)).ToListAsync(cancellationToken))
            {
                _requests[request.RequestId] = request;
            }
        }

        var ordered = claimed.OrderBy(d => d.Priority).ThenBy(d => d.Sequence).ToList();
        if (ordered.Count == 0)
        {
            return [];
        }

        // One vault call for the batch's contacts. If it fails, each delivery takes the retry path of a failed look-up.
        // A verification code's contacts come with the code itself (the subject's verified contacts), fetched at its send.
        // An on-call page goes to the rota's responders, whose contacts are this service's configuration, not the vault's.
        var needContacts = ordered.Where(d => !IsCode(_requests[d.RequestId]) && !IsPage(_requests[d.RequestId])).Select(d => d.SubjectId).ToList();
        var onCall = onCallOptions.Value;
        try
        {
            var contacts = needContacts.Count == 0 ? new Dictionary<string, SubjectContacts?>() : await scope.ServiceProvider.GetRequiredService<VaultContacts>()
                .GetManyAsync(needContacts, CancellationToken.None); // the batch is claimed: finish, then hand it on (or back on stop)
            // One look-up of the batch's bounced contacts too, so that no delivery waits for one of its own.
            var bounced = await bounces.BouncedAsync(db,
                contacts.Where(c => c.Value?.Channels is not null).SelectMany(c => c.Value!.Channels!.Select(channel => (c.Key, channel))), CancellationToken.None);
            return ordered.Select(d => new Claimed(d, IsPage(_requests[d.RequestId]) ? onCall.ContactsOf(d.SubjectId) : contacts.GetValueOrDefault(d.SubjectId), null, bounced))
                .ToList();
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or
                                      System.Text.Json.JsonException or TaskCanceledException)
        {
            // A page does not wait for the vault.
            return ordered.Select(d => IsPage(_requests[d.RequestId])
                ? new Claimed(d, onCall.ContactsOf(d.SubjectId), null, NoBounces)
                : new Claimed(d, null, IsCode(_requests[d.RequestId]) ? null : e.GetType().Name, NoBounces)).ToList();
        }
    }

    private async Task DeliverAsync(Claimed claimed, NotificationsOptions settings, CancellationToken cancellationToken)
    {
        var delivery = claimed.Delivery;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        try
        {
            await DeliverAsync(db, claimed, settings, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or DbUpdateException or InvalidOperationException)
        {
            // The database went away mid-delivery: the lease expires and the delivery is claimed again; the ledger
            // keeps whatever was already sent from being sent twice.
            Log.DeliveryInterrupted(logger, delivery.RequestId, e.GetType().Name);
        }
    }

    private static bool IsCode(NoticeRequest request) => request.NoticeType is NoticeTypes.VerificationCode or NoticeTypes.GuardianVerificationCode;

    private static bool IsPage(NoticeRequest request) => request.NoticeType == NoticeTypes.OnCallPage;

    private async Task DeliverAsync(NotificationsDbContext db, Claimed claimed, NotificationsOptions settings, CancellationToken cancellationToken)
    {
        var (delivery, contacts, lookupFailure, bounced) = claimed;
        var request = _requests[delivery.RequestId];
        if (IsCode(request))
        {
            await DeliverCodeAsync(db, delivery, request, settings, cancellationToken);
            return;
        }

        if (lookupFailure is not null)
        {
            await RetryLaterAsync(db, delivery, settings, lookupFailure, cancellationToken);
            return;
        }

        var channels = (contacts?.Channels ?? []).Where(c => router.Knows(c.Channel) && !string.IsNullOrWhiteSpace(c.Address))
            .DistinctBy(c => c.Channel).ToList();
        if (channels.Count == 0)
        {
            await FailAsync(db, delivery, "no-contact", cancellationToken);
            return;
        }

        if (!NoticeTemplates.All.TryGetValue(request.NoticeType, out var template))
        {
            await FailAsync(db, delivery, "unknown-notice-type", cancellationToken);
            return;
        }

        var notice = _rendered.GetOrAdd((delivery.RequestId, contacts!.Language ?? ""), static (key, state) =>
        {
            try
            {
                return NoticeTemplates.Render(state.Template, state.Language, state.Request.Variables, state.Request.RequestedAt);
            }
            catch (TemplateVariablesException)
            {
                return null;
            }
        }, (Template: template, contacts.Language, Request: request));
        if (notice is null)
        {
            await FailAsync(db, delivery, "invalid-variables", cancellationToken);
            return;
        }

        await SendAsync(db, delivery, channels, notice, null, bounced, cancellationToken);
    }

    /// <summary>
    /// A verification code: fetched from the vault by the verification's id now, with the contacts it goes to (the
    /// subject's verified ones), rendered for this delivery only and never kept; not sent once it has expired, on any
    /// attempt. The vault hands a code out once: a delivery that lost it (a crash mid-send) fails, and the subject asks again.
    /// </summary>
    private async Task DeliverCodeAsync(NotificationsDbContext db, Delivery delivery, NoticeRequest request, NotificationsOptions settings, CancellationToken cancellationToken)
    {
        if (!NoticeTemplates.All.TryGetValue(request.NoticeType, out var template) ||
            !Guid.TryParse(request.Variables.GetValueOrDefault("verificationId"), out var verificationId))
        {
            await FailAsync(db, delivery, "invalid-variables", cancellationToken);
            return;
        }

        CodeAnswer answer;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            answer = await scope.ServiceProvider.GetRequiredService<VaultCodes>().ReleaseAsync(verificationId, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or
                                      System.Text.Json.JsonException or TaskCanceledException)
        {
            await RetryLaterAsync(db, delivery, settings, e.GetType().Name, cancellationToken);
            return;
        }

        if (answer is not CodeAnswer.Released { Delivery: var code })
        {
            await FailAsync(db, delivery, "code-refused: " + ((CodeAnswer.Refused)answer).Reason, cancellationToken);
            return;
        }

        var left = code.ExpiresAt - time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            await FailAsync(db, delivery, "code-expired", cancellationToken);
            return;
        }

        var channels = (code.Channels ?? []).Where(c => router.Knows(c.Channel) && !string.IsNullOrWhiteSpace(c.Address)).DistinctBy(c => c.Channel).ToList();
        if (channels.Count == 0)
        {
            await FailAsync(db, delivery, "no-contact", cancellationToken);
            return;
        }

        RenderedNotice notice;
        try
        {
            var variables = new Dictionary<string, string>(request.Variables)
            {
                ["code"] = code.Code,
                ["expiresInMinutes"] = ((int)Math.Ceiling(left.TotalMinutes)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            notice = NoticeTemplates.Render(template, code.Language, variables, request.RequestedAt);
        }
        catch (TemplateVariablesException)
        {
            await FailAsync(db, delivery, "invalid-variables", cancellationToken);
            return;
        }

        var bounced = await bounces.BouncedAsync(db, channels.Select(c => (delivery.SubjectId, c)), cancellationToken);
        await SendAsync(db, delivery, channels, notice, code.ExpiresAt, bounced, cancellationToken);
    }

    /// <summary>The vault could not answer: the delivery is tried again later, with backoff, up to MaxContactAttempts.</summary>
    private async Task RetryLaterAsync(NotificationsDbContext db, Delivery delivery, NotificationsOptions settings, string failure, CancellationToken cancellationToken)
    {
        if (delivery.Attempts >= settings.MaxContactAttempts)
        {
            await FailAsync(db, delivery, "contacts-unavailable", cancellationToken);
            return;
        }

        var retryAt = time.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, delivery.Attempts)));
        await db.Deliveries.Where(d => d.Sequence == delivery.Sequence)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.NextAttemptAt, retryAt).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
        Log.ContactsUnavailable(logger, delivery.RequestId, delivery.Attempts, failure);
    }

    /// <summary>
    /// Tries the channels in order until one takes the notice, at most once each (the ledger); none after
    /// <paramref name="notAfter"/>; none whose current address bounced before (<paramref name="bounced"/>).
    /// </summary>
    private async Task SendAsync(NotificationsDbContext db, Delivery delivery, List<ContactChannel> channels, RenderedNotice notice, DateTimeOffset? notAfter,
        IReadOnlySet<(string SubjectId, string Channel)> bounced, CancellationToken cancellationToken)
    {
        var tried = new List<string>();
        foreach (var contact in channels)
        {
            if (bounced.Contains((delivery.SubjectId, contact.Channel)))
            {
                tried.Add($"{contact.Channel}={AttemptState.Bounced}");
                continue;
            }

            if (notAfter is { } deadline && time.GetUtcNow() >= deadline)
            {
                await FailAsync(db, delivery, "code-expired", cancellationToken);
                return;
            }

            var previous = await _ledger.ClaimAsync(delivery, contact.Channel);
            if (previous == AttemptState.Sent)
            {
                // Sent and recorded, but the delivery was not completed before a crash: complete it now, send nothing.
                await CompleteAsync(delivery, contact.Channel);
                return;
            }

            if (previous is not null)
            {
                if (previous == AttemptState.Sending)
                {
                    await SetAttemptStateAsync(db, delivery, contact.Channel, AttemptState.InDoubt, cancellationToken);
                    Log.AttemptInDoubt(logger, delivery.RequestId, contact.Channel);
                }

                tried.Add($"{contact.Channel}={(previous == AttemptState.Sending ? AttemptState.InDoubt : previous)}");
                continue;
            }

            var key = $"{delivery.RequestId:N}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(delivery.SubjectId)))[..16]}.{contact.Channel}";
            var outcome = await router.SendAsync(contact.Channel, new OutgoingMessage(contact.Address, notice, key, delivery.RequestId, notAfter), cancellationToken);
            if (outcome == SendOutcome.Sent)
            {
                await CompleteAsync(delivery, contact.Channel);
                return;
            }

            if (outcome == SendOutcome.Expired)
            {
                await SetAttemptStateAsync(db, delivery, contact.Channel, AttemptState.Rejected, cancellationToken);
                await FailAsync(db, delivery, "code-expired", cancellationToken);
                return;
            }

            if (outcome == SendOutcome.Bounced)
            {
                await bounces.RecordAsync(db, delivery, contact, cancellationToken);
                Bounces.Add(1, new KeyValuePair<string, object?>("channel", contact.Channel));
                tried.Add($"{contact.Channel}={AttemptState.Bounced}");
                Log.ContactBounced(logger, delivery.RequestId, contact.Channel);
                continue;
            }

            var state = outcome == SendOutcome.InDoubt ? AttemptState.InDoubt : AttemptState.Rejected;
            await SetAttemptStateAsync(db, delivery, contact.Channel, state, cancellationToken);
            tried.Add($"{contact.Channel}={outcome.ToString().ToLowerInvariant()}");
            Log.ChannelFailed(logger, delivery.RequestId, contact.Channel, outcome.ToString());
        }

        await FailAsync(db, delivery, "no-channel-succeeded: " + string.Join(",", tried), cancellationToken);
    }

    private Task SetAttemptStateAsync(NotificationsDbContext db, Delivery delivery, string channel, string state, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.SendAttempts
            .Where(a => a.RequestId == delivery.RequestId && a.SubjectId == delivery.SubjectId && a.Channel == channel)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.State, state).SetProperty(a => a.FinishedAt, now), cancellationToken);
    }

    private async Task CompleteAsync(Delivery delivery, string channel)
    {
        await _ledger.CompleteAsync(delivery, channel);
        Outcomes.Add(1, new("channel", channel), new("status", DeliveryStatus.Delivered));
    }

    private async Task FailAsync(NotificationsDbContext db, Delivery delivery, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await FinishAsync(db, delivery, DeliveryStatus.Failed, null, reason, now, cancellationToken))
        {
            await db.NoticeRequests.Where(r => r.RequestId == delivery.RequestId)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.FailedCount, r => r.FailedCount + 1), cancellationToken);
            db.AddIntegrationEvent(new NoticeFailed(delivery.RequestId, delivery.SubjectId, reason, now), now);
            await db.SaveChangesAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        Outcomes.Add(1, new("channel", "none"), new("status", DeliveryStatus.Failed));
        Log.DeliveryFailed(logger, delivery.RequestId, reason);
    }

    // Guarded by status, so that two dispatchers racing on an expired lease raise the final event once.
    private static async Task<bool> FinishAsync(NotificationsDbContext db, Delivery delivery, string status, string? channel, string? reason,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        await db.Deliveries.Where(d => d.Sequence == delivery.Sequence && d.Status == DeliveryStatus.Pending)
            .ExecuteUpdateAsync(
                u => u.SetProperty(d => d.Status, status).SetProperty(d => d.Channel, channel).SetProperty(d => d.Reason, reason)
                    .SetProperty(d => d.CompletedAt, now).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null),
                cancellationToken) == 1;
}

/// <summary>
/// A claimed delivery with its subject's contacts (null when the vault knows none), or why they could not be fetched, and
/// the (subject, channel) pairs of its batch whose current address bounced before.
/// </summary>
internal sealed record Claimed(Delivery Delivery, SubjectContacts? Contacts, string? LookupFailure, IReadOnlySet<(string SubjectId, string Channel)> Bounced);
