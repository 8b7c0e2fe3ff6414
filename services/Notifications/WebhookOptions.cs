using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Notifications;

/// <summary>Configuration section <c>PrivacySuite:Notifications:Webhooks</c>: the secrets' key, limits and the retry schedule.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "PrivacySuite:Notifications:Webhooks";

    /// <summary>
    /// The AES-GCM key (hex; 16, 24 or 32 bytes) the endpoints' signing secrets are encrypted under at rest. The AppHost
    /// generates it (parameter <c>notifications-webhook-key</c>); with another key the stored secrets cannot be opened
    /// and every endpoint needs its secret rotated.
    /// </summary>
    [Required, RegularExpression("^([0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$", ErrorMessage = "Webhooks:SecretKey is 16, 24 or 32 bytes, hex-encoded.")]
    public string SecretKey { get; set; } = "";

    /// <summary>
    /// Whether endpoints may be in private networks (10/8, 172.16/12, 192.168/16, fc00::/7) as well as on the internet.
    /// Off: a caller cannot make the suite POST into its own data centre. Link-local addresses (the cloud metadata
    /// service) are refused either way; loopback is allowed, for development.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Endpoints one caller may have registered at once.</summary>
    [Range(1, 1000)]
    public int MaxEndpointsPerCaller { get; set; } = 10;

    /// <summary>The first retry's delay; each next one doubles, up to <see cref="MaxBackoff"/>, plus up to 20 % jitter.</summary>
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts before a delivery is dead (kept and visible; redeliver queues it again). 80 is about three days.</summary>
    [Range(1, 10_000)]
    public int MaxAttempts { get; set; } = 80;

    /// <summary>How long a receiver has to answer one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a sender owns a claimed delivery: well above <see cref="Timeout"/>.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries claimed, and sent in parallel, at once.</summary>
    [Range(1, 500)]
    public int BatchSize { get; set; } = 32;
}
