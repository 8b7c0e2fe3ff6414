using System.Net;
using System.Text;
using System.Text.Json;
using PrivacySuite.Notifications.Workers;

namespace PrivacySuite.Notifications.Model;

/// <summary>An endpoint outside the suite that wants some of its events (issue 20.3); its secret is kept sealed.</summary>
public sealed class WebhookEndpoint
{
    public Guid EndpointId { get; set; }

    public string Owner { get; set; } = "";

    public string Url { get; set; } = "";

    public List<string> Events { get; set; } = [];

    public byte[] SecretSealed { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? SecretRotatedAt { get; set; }

    /// <summary>The secret before the last rotation, sealed like the current one, while it still signs next to it.</summary>
    public byte[]? PreviousSecretSealed { get; set; }

    /// <summary>Until when <see cref="PreviousSecretSealed"/> signs too; null when it stopped at the rotation.</summary>
    public DateTimeOffset? PreviousSecretUntil { get; set; }

    public DateTimeOffset? LastDeliveredAt { get; set; }

    public DateTimeOffset? LastFailureAt { get; set; }

    public string? LastFailureReason { get; set; }

    public int ConsecutiveFailures { get; set; }
}

public static class WebhookDeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";
}

/// <summary>One event for one endpoint: pending until the endpoint answered 2xx, dead (kept) after the last attempt.</summary>
public sealed class WebhookDelivery
{
    public Guid DeliveryId { get; set; }

    public Guid EndpointId { get; set; }

    public string EventType { get; set; } = "";

    public string Payload { get; set; } = "";

    public string Status { get; set; } = WebhookDeliveryStatus.Pending;

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public string? LastFailureReason { get; set; }
}

/// <summary>The events an endpoint may subscribe to, by their webhook names.</summary>
public static class WebhookEvents
{
    public const string ConsentWithdrawn = "consent.withdrawn";
    public const string AccountCancelled = "account.cancelled";
    public const string PolicyPublished = "policy.published";
    public const string SubjectErased = "subject.erased";

    public static readonly IReadOnlyList<string> Catalogue = [ConsentWithdrawn, AccountCancelled, PolicyPublished, SubjectErased];
}

/// <summary>
/// An event as it leaves the suite: its webhook type, the key that tells it apart from every other event of that type
/// (the same event published twice has the same key), when it happened, and its data: ids and times only.
/// </summary>
public sealed record WebhookEvent(string Type, string Key, DateTimeOffset OccurredAt, IReadOnlyDictionary<string, object?> Data)
{
    public static WebhookEvent From(ConsentWithdrawn e) => new(WebhookEvents.ConsentWithdrawn, $"{e.SubjectId}/{e.Purpose}/{e.WithdrawnAt.UtcTicks}", e.WithdrawnAt,
        new Dictionary<string, object?> { ["subjectId"] = e.SubjectId, ["purpose"] = e.Purpose, ["withdrawnAt"] = e.WithdrawnAt });

    public static WebhookEvent From(AccountCancelled e) => new(WebhookEvents.AccountCancelled, $"{e.SubjectId}/{e.CancelledAt.UtcTicks}", e.CancelledAt,
        new Dictionary<string, object?> { ["subjectId"] = e.SubjectId, ["cancelledAt"] = e.CancelledAt });

    public static WebhookEvent From(PolicyVersionPublished e) => new(WebhookEvents.PolicyPublished, $"{e.PolicyId}/{e.Version}", e.PublishedAt,
        new Dictionary<string, object?>
        {
            ["policyId"] = e.PolicyId, ["version"] = e.Version, ["changedPurposes"] = e.ChangedPurposes, ["publishedAt"] = e.PublishedAt,
        });

    public static WebhookEvent From(SubjectErased e) => new(WebhookEvents.SubjectErased, $"{e.SubjectId}/{e.DeletionCertificateId:N}/{e.Category}/{e.SweepItemId:N}", e.ErasedAt,
        new Dictionary<string, object?>
        {
            ["subjectId"] = e.SubjectId, ["deletionCertificateId"] = e.DeletionCertificateId, ["category"] = e.Category?.ToString(), ["erasedAt"] = e.ErasedAt,
        });
}

/// <summary>A registration or a rotation: the endpoint and its new secret, which is shown this once.</summary>
public sealed record WebhookSecretIssued(WebhookEndpoint Endpoint, string Secret);

/// <summary>
/// Webhooks (issue 20.3): register, list, delete an endpoint, rotate its secret; queue an event for every endpoint that
/// wants it; decide what an attempt's outcome means (delivered, retried later, dead); queue dead deliveries again.
/// </summary>
public sealed class Webhooks(NotificationsDbContext db, WebhookSecrets secrets, IOptions<WebhookOptions> options, TimeProvider time, WebhookSignal signal)
{
    public const int MaxUrlLength = 2000;

    /// <summary>The event id the receiver sees: one per endpoint and event, the same on every attempt.</summary>
    public static Guid DeliveryId(Guid endpointId, string type, string key) =>
        NameBasedIds.From(Encoding.UTF8.GetBytes($"webhook-delivery/{endpointId:N}/{type}/{key}"));

    /// <summary>Why <paramref name="url"/> cannot receive webhooks, or null when it can.</summary>
    public static string? UrlProblem(string url)
    {
        if (url.Length is 0 or > MaxUrlLength)
        {
            return $"url is 1 to {MaxUrlLength} characters.";
        }

        if (url.Any(char.IsWhiteSpace) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "url is an absolute URL without spaces, such as https://example.com/privacysuite/webhooks.";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))
        {
            return "url is https; plain http only to this machine (127.0.0.1, localhost or ::1), for development.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "url carries no user name or password; authenticate the suite by the signature.";
        }

        return url.Contains('#', StringComparison.Ordinal) ? "url has no fragment (#...)." : null;
    }

    /// <summary>
    /// Whether a webhook may connect to <paramref name="address"/>: checked at registration for an address in the URL and
    /// at every connection for the addresses a name resolves to, so a name that later resolves inwards is refused too.
    /// </summary>
    public static bool AddressAllowed(IPAddress address, bool allowPrivateNetworks)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        var bytes = address.GetAddressBytes();
        var linkLocalOrSpecial = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? bytes[0] == 0 || bytes[0] >= 224 || bytes[0] == 169 && bytes[1] == 254 || bytes[0] == 100 && bytes[1] >= 64 && bytes[1] < 128
            : address.IsIPv6LinkLocal || address.IsIPv6Multicast || address.IsIPv6SiteLocal || address.Equals(IPAddress.IPv6Any);
        if (linkLocalOrSpecial)
        {
            return false;
        }

        var isPrivate = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? bytes[0] == 10 || bytes[0] == 172 && bytes[1] >= 16 && bytes[1] < 32 || bytes[0] == 192 && bytes[1] == 168
            : address.IsIPv6UniqueLocal;
        return !isPrivate || allowPrivateNetworks;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(uri.IdnHost, out var ip) && IPAddress.IsLoopback(ip);

    /// <summary>Why <paramref name="events"/> cannot be subscribed to, or null when they can.</summary>
    public static string? EventsProblem(IReadOnlyList<string> events)
    {
        if (events.Count == 0)
        {
            return $"events names at least one of: {string.Join(", ", WebhookEvents.Catalogue)}.";
        }

        var unknown = events.Where(e => !WebhookEvents.Catalogue.Contains(e, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            return $"Unknown events ({unknown.Count}); the catalogue is: {string.Join(", ", WebhookEvents.Catalogue)}.";
        }

        return events.Distinct(StringComparer.Ordinal).Count() != events.Count ? "events names each event once." : null;
    }

    public async Task<Outcome<WebhookSecretIssued>> RegisterAsync(string owner, string url, IReadOnlyList<string> events, CancellationToken cancellationToken)
    {
        if (UrlProblem(url) is { } urlProblem)
        {
            return new Refusal(StatusCodes.Status400BadRequest, urlProblem, Title: "Invalid webhook url");
        }

        if (IPAddress.TryParse(new Uri(url).IdnHost, out var address) && !AddressAllowed(address, options.Value.AllowPrivateNetworks))
        {
            return new Refusal(StatusCodes.Status400BadRequest,
                "url points into a private or link-local network; webhooks go to endpoints on the internet (or, for development, to this machine).",
                Title: "Invalid webhook url");
        }

        if (EventsProblem(events) is { } eventsProblem)
        {
            return new Refusal(StatusCodes.Status400BadRequest, eventsProblem, Title: "Invalid webhook events");
        }

        var limit = options.Value.MaxEndpointsPerCaller;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        // One registration per owner at a time, so two at once cannot both pass the limit.
        await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtextextended({"webhooks/" + owner}, 0))", cancellationToken);
        if (await db.WebhookEndpoints.CountAsync(e => e.Owner == owner, cancellationToken) >= limit)
        {
            return Refusal.Conflict(
                $"A caller has at most {limit} endpoints; delete one (DELETE /v1/webhooks/{{id}}) or subscribe an existing one to more events by registering it anew.",
                title: "Too many webhook endpoints");
        }

        var secret = WebhookSecrets.NewSecret();
        var endpoint = new WebhookEndpoint
        {
            EndpointId = Guid.CreateVersion7(),
            Owner = owner,
            Url = url,
            Events = [.. events],
            CreatedAt = time.GetUtcNow(),
        };
        endpoint.SecretSealed = secrets.Seal(endpoint.EndpointId, secret);
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new WebhookSecretIssued(endpoint, secret);
    }

    /// <summary>The endpoints <paramref name="owner"/> registered, or every endpoint when <paramref name="owner"/> is null.</summary>
    public IQueryable<WebhookEndpoint> Visible(string? owner) =>
        owner is null ? db.WebhookEndpoints.AsNoTracking() : db.WebhookEndpoints.AsNoTracking().Where(e => e.Owner == owner);

    /// <summary>Deletes the endpoint and what was still to be sent to it; refused when <paramref name="owner"/> (null: anyone's) has no such endpoint.</summary>
    public async Task<Outcome<Guid>> DeleteAsync(Guid endpointId, string? owner, CancellationToken cancellationToken) =>
        await Visible(owner).Where(e => e.EndpointId == endpointId).ExecuteDeleteAsync(cancellationToken) > 0 ? endpointId : NoSuchEndpoint;

    /// <summary>
    /// Another's endpoint is not found either, so that its existence is not told. Public: the API answers it for a
    /// listing it cannot make too.
    /// </summary>
    public static readonly Refusal NoSuchEndpoint = Refusal.NotFound(
        "Check the endpoint id from the registration or from GET /v1/webhooks (a product backend sees and changes its own endpoints only).",
        title: "No such webhook endpoint");

    /// <summary>The longest a rotated secret may keep signing next to the new one.</summary>
    public static readonly TimeSpan MaxSecretOverlap = TimeSpan.FromDays(1);

    /// <summary>
    /// A new secret for the owner's endpoint. The old one keeps signing next to it for <paramref name="overlap"/> (each
    /// delivery then carries both signatures, so the receiver can switch without losing one), or stops at once (zero:
    /// a leaked secret), at most <see cref="MaxSecretOverlap"/>. Refused when the owner has no such endpoint.
    /// </summary>
    public async Task<Outcome<WebhookSecretIssued>> RotateSecretAsync(Guid endpointId, string owner, TimeSpan overlap, CancellationToken cancellationToken)
    {
        if (overlap < TimeSpan.Zero || overlap > MaxSecretOverlap)
        {
            return Refusal.Invalid("overlapMinutes",
                $"How long the old secret keeps signing next to the new one: 0 (it stops at once) to {MaxSecretOverlap.TotalMinutes:0} minutes.");
        }

        var endpoint = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.EndpointId == endpointId && e.Owner == owner, cancellationToken);
        if (endpoint is null)
        {
            return NoSuchEndpoint;
        }

        var now = time.GetUtcNow();
        var secret = WebhookSecrets.NewSecret();
        var overlaps = overlap > TimeSpan.Zero;
        endpoint.PreviousSecretSealed = overlaps ? endpoint.SecretSealed : null;
        endpoint.PreviousSecretUntil = overlaps ? now + overlap : null;
        endpoint.SecretSealed = secrets.Seal(endpointId, secret);
        endpoint.SecretRotatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return new WebhookSecretIssued(endpoint, secret);
    }

    /// <summary>
    /// Queues the endpoint's dead deliveries again, due now, with their attempts counted afresh, and wakes the sender;
    /// returns how many. Refused when <paramref name="owner"/> (null: anyone's) has no such endpoint.
    /// </summary>
    public async Task<Outcome<int>> RedeliverAsync(Guid endpointId, string? owner, CancellationToken cancellationToken)
    {
        if (!await Visible(owner).AnyAsync(e => e.EndpointId == endpointId, cancellationToken))
        {
            return NoSuchEndpoint;
        }

        var now = time.GetUtcNow();
        var requeued = await db.WebhookDeliveries.Where(d => d.EndpointId == endpointId && d.Status == WebhookDeliveryStatus.Dead)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, WebhookDeliveryStatus.Pending).SetProperty(d => d.Attempts, 0)
                .SetProperty(d => d.NextAttemptAt, now), cancellationToken);
        signal.Notify();
        return requeued;
    }

    /// <summary>
    /// One delivery of <paramref name="e"/> per endpoint that wants it, in the caller's unit of work (the inbox claim's
    /// transaction). The same event again adds nothing: its deliveries exist already. Returns how many were added.
    /// </summary>
    public async Task<int> EnqueueAsync(WebhookEvent e, CancellationToken cancellationToken)
    {
        var endpoints = await db.WebhookEndpoints.AsNoTracking().Where(x => x.Events.Contains(e.Type)).Select(x => x.EndpointId).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var added = 0;
        foreach (var endpointId in endpoints)
        {
            var deliveryId = DeliveryId(endpointId, e.Type, e.Key);
            var payload = JsonSerializer.Serialize(new { id = deliveryId, type = e.Type, occurredAt = e.OccurredAt, data = e.Data }, JsonSerializerOptions.Web);
            added += await db.Database.ExecuteSqlAsync(
                $"""
                 insert into webhook_deliveries (delivery_id, endpoint_id, event_type, payload, status, attempts, next_attempt_at, created_at)
                 values ({deliveryId}, {endpointId}, {e.Type}, {payload}, {WebhookDeliveryStatus.Pending}, 0, {now}, {now})
                 on conflict (delivery_id) do nothing
                 """, cancellationToken);
        }

        return added;
    }

    /// <summary>The delay before attempt <paramref name="attempts"/> + 1: doubling from the base, capped, plus up to 20 % jitter (never less).</summary>
    public static TimeSpan Backoff(WebhookOptions settings, int attempts)
    {
        var doubling = Math.Min(attempts - 1, 30);
        var delay = TimeSpan.FromTicks((long)Math.Min(settings.MaxBackoff.Ticks, settings.BackoffBase.Ticks * Math.Pow(2, Math.Max(0, doubling))));
        return delay + delay * (Random.Shared.NextDouble() * 0.2);
    }

    /// <summary>
    /// Records an attempt of a claimed delivery (claimed with <paramref name="attempts"/> counted): delivered, or due again
    /// after the backoff, or dead after the last attempt; and the endpoint's health with it. A delivery claimed again
    /// meanwhile (its lease ran out) is left to its new sender.
    /// </summary>
    public async Task RecordAttemptAsync(Guid deliveryId, Guid endpointId, int attempts, string? failure, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var mine = db.WebhookDeliveries.Where(d => d.DeliveryId == deliveryId && d.Attempts == attempts && d.Status == WebhookDeliveryStatus.Pending);
        if (failure is null)
        {
            await mine.ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, WebhookDeliveryStatus.Delivered).SetProperty(d => d.DeliveredAt, now)
                .SetProperty(d => d.LastAttemptAt, now).SetProperty(d => d.LastFailureReason, (string?)null), cancellationToken);
            await db.WebhookEndpoints.Where(e => e.EndpointId == endpointId)
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.LastDeliveredAt, now).SetProperty(e => e.ConsecutiveFailures, 0), cancellationToken);
        }
        else
        {
            var dead = attempts >= settings.MaxAttempts;
            var next = now + Backoff(settings, attempts);
            await mine.ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, dead ? WebhookDeliveryStatus.Dead : WebhookDeliveryStatus.Pending)
                .SetProperty(d => d.NextAttemptAt, next).SetProperty(d => d.LastAttemptAt, now).SetProperty(d => d.LastFailureReason, failure), cancellationToken);
            await db.WebhookEndpoints.Where(e => e.EndpointId == endpointId)
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.LastFailureAt, now).SetProperty(e => e.LastFailureReason, failure)
                    .SetProperty(e => e.ConsecutiveFailures, e => e.ConsecutiveFailures + 1), cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }
}
