using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using PrivacySuite.Client;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;
using PrivacySuite.ServiceDefaults.Workers;

namespace PrivacySuite.Notifications.Workers;

/// <summary>Wakes the webhook sender when a consumer queued deliveries.</summary>
public sealed class WebhookSignal : WakeUpSignal;

/// <summary>
/// POSTs due webhook deliveries, signed. Each is claimed with a lease (its due time moved to the lease's end and its
/// attempt counted, SKIP LOCKED, in one statement), so two instances, or a new primary after a failover, do not send it
/// at once; a sender that dies mid-send leaves it to be claimed again when the lease ends. Any answer but 2xx, a timeout
/// or a network error is a failed attempt: retried with backoff (<see cref="Webhooks.RecordAttemptAsync"/>), never dropped.
/// Nothing of the URL but the endpoint id, of the body or of the secret is logged.
/// </summary>
public sealed class WebhookSender(
    IServiceScopeFactory scopes, IHttpClientFactory http, WebhookSecrets secrets, WebhookSignal signal, RegionRole region, TimeProvider time,
    IOptions<WebhookOptions> options, ILogger<WebhookSender> logger)
    : PrimaryRegionWorker(region, logger)
{
    public const string ClientName = "webhooks";

    private static readonly Counter<long> Attempts = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.notifications.webhook_attempts", description: "Webhook attempts, by outcome (delivered, retry, dead)");

    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override async Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => await signal.WaitAsync(interval, cancellationToken);

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        while (!cancellationToken.IsCancellationRequested)
        {
            var claimed = await ClaimAsync(settings, cancellationToken);
            if (claimed.Count == 0)
            {
                return;
            }

            await Task.WhenAll(claimed.Select(c => SendAsync(c, cancellationToken)));
            if (claimed.Count < settings.BatchSize)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Connects to the first address the URL's host resolves to that <see cref="Webhooks.AddressAllowed"/> admits: the
    /// address checked is the one connected to, so a name that resolves into the data centre does not reach it.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectOnlyOutwards(IOptions<WebhookOptions> options) =>
        async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = addresses.Where(a => Webhooks.AddressAllowed(a, options.Value.AllowPrivateNetworks)).ToArray();
            if (allowed.Length == 0)
            {
                throw new AddressRefusedException();
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

    /// <summary>The endpoint's host resolved only to addresses a webhook may not go to.</summary>
    private sealed class AddressRefusedException() : Exception("The webhook endpoint resolves only to addresses webhooks may not reach.");

    private sealed record Claimed(WebhookDelivery Delivery, string Url, byte[] SecretSealed, byte[]? PreviousSecretSealed);

    private async Task<List<Claimed>> ClaimAsync(WebhookOptions settings, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var now = time.GetUtcNow();
        var leaseUntil = now + settings.LeaseDuration;
        var deliveries = await db.WebhookDeliveries.FromSql(
            $"""
             update webhook_deliveries set next_attempt_at = {leaseUntil}, attempts = attempts + 1
             where delivery_id in (
                 select delivery_id from webhook_deliveries where status = 'pending' and next_attempt_at <= {now}
                 order by next_attempt_at limit {settings.BatchSize} for update skip locked)
             returning *
             """).AsNoTracking().ToListAsync(cancellationToken);
        if (deliveries.Count == 0)
        {
            return [];
        }

        var endpointIds = deliveries.Select(d => d.EndpointId).Distinct().ToList();
        var endpoints = await db.WebhookEndpoints.AsNoTracking().Where(e => endpointIds.Contains(e.EndpointId))
            .ToDictionaryAsync(e => e.EndpointId, cancellationToken);
        // An endpoint deleted meanwhile took its deliveries with it.
        return deliveries.Where(d => endpoints.ContainsKey(d.EndpointId))
            .Select(d => Claim(d, endpoints[d.EndpointId])).ToList();

        // A rotated secret signs too while its overlap lasts.
        Claimed Claim(WebhookDelivery delivery, WebhookEndpoint endpoint) =>
            new(delivery, endpoint.Url, endpoint.SecretSealed, endpoint.PreviousSecretUntil > now ? endpoint.PreviousSecretSealed : null);
    }

    private async Task SendAsync(Claimed claimed, CancellationToken cancellationToken)
    {
        var delivery = claimed.Delivery;
        var failure = await AttemptAsync(claimed, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the lease runs out and the delivery is claimed again, with the same id.
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Webhooks>()
            .RecordAttemptAsync(delivery.DeliveryId, delivery.EndpointId, delivery.Attempts, failure, cancellationToken);
        if (failure is null)
        {
            Attempts.Add(1, new KeyValuePair<string, object?>("outcome", "delivered"));
            Log.WebhookDelivered(logger, delivery.DeliveryId, delivery.EndpointId, delivery.Attempts);
        }
        else if (delivery.Attempts >= options.Value.MaxAttempts)
        {
            Attempts.Add(1, new KeyValuePair<string, object?>("outcome", "dead"));
            Log.WebhookDead(logger, delivery.DeliveryId, delivery.EndpointId, delivery.Attempts, failure);
        }
        else
        {
            Attempts.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
            Log.WebhookAttemptFailed(logger, delivery.DeliveryId, delivery.EndpointId, delivery.Attempts, failure);
        }
    }

    /// <summary>Null when the endpoint took the delivery (2xx); otherwise why not: a status code or an error type, never a body.</summary>
    private async Task<string?> AttemptAsync(Claimed claimed, CancellationToken cancellationToken)
    {
        var delivery = claimed.Delivery;
        string secret;
        string? previous;
        try
        {
            secret = secrets.Open(delivery.EndpointId, claimed.SecretSealed);
            previous = claimed.PreviousSecretSealed is { } sealedBefore ? secrets.Open(delivery.EndpointId, sealedBefore) : null;
        }
        catch (CryptographicException)
        {
            return "secret-unreadable";
        }

        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, claimed.Url)
        {
            Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookSignature.IdHeader, delivery.DeliveryId.ToString());
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // While a rotated secret overlaps the new one, both sign: the receiver verifies with whichever it holds.
        request.Headers.Add(WebhookSignature.SignatureHeader, previous is null
            ? WebhookSignature.Sign(secret, timestamp, delivery.Payload)
            : $"{WebhookSignature.Sign(secret, timestamp, delivery.Payload)},{WebhookSignature.Sign(previous, timestamp, delivery.Payload)}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await http.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.IsSuccessStatusCode ? null : $"http-{(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "timeout";
        }
        catch (HttpRequestException e) when (e.InnerException is AddressRefusedException)
        {
            return "address-refused";
        }
        catch (HttpRequestException e)
        {
            return e.HttpRequestError == HttpRequestError.Unknown ? "network-error" : $"network-error:{e.HttpRequestError}";
        }
    }
}
