using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Notifications;

/// <summary>Configuration section <c>PrivacySuite:Notifications</c>; every default works for a local run.</summary>
public sealed class NotificationsOptions
{
    public const string SectionName = "PrivacySuite:Notifications";

    [Required, EmailAddress]
    public string EmailFrom { get; set; } = "notices@privacysuite.local";

    /// <summary>
    /// The key of the hashes bounced contacts are kept by (HMAC-SHA256, 16 bytes or more, hex): a secret, so that the
    /// table of bounces alone does not tell whose address bounced. The AppHost generates it (parameter
    /// <c>notifications-contact-key</c>); a new key forgets the bounces kept under the old one.
    /// </summary>
    [Required, RegularExpression("^([0-9a-fA-F]{2}){16,}$", ErrorMessage = "ContactKey is at least 16 bytes, hex-encoded.")]
    public string ContactKey { get; set; } = "";

    /// <summary>How people reach the operator about an incident; the incident notice's <c>contact</c> part.</summary>
    public string IncidentContact { get; set; } = "privacy@privacysuite.local";

    /// <summary>Sends per second per channel; the gateways' and the mail relay's contracted rates.</summary>
    public Dictionary<string, int> RatePerSecond { get; set; } = new()
    {
        [ChannelNames.Email] = 1000,
        [ChannelNames.Sms] = 100,
        [ChannelNames.Push] = 500,
    };

    /// <summary>Retries of a send the channel clearly did not take (refused connection, 4xx SMTP reply, 429/503).</summary>
    [Range(0, 10)]
    public int SendRetries { get; set; } = 3;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A send that takes longer is in doubt (it may have gone out): never repeated on that channel. For e-mail it counts
    /// from when the mail has its SMTP session: waiting for a free one is not sending.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a dispatcher owns a claimed delivery; well above a send's worst case with retries.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Deliveries claimed at once, and their contacts fetched from the vault in one call.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Deliveries in flight at once; each waits mostly on its ledger commits and the channel, so more of them make the
    /// ledger's group commits larger. An e-mail in flight holds one of the <see cref="SmtpSessions"/> while it is sent.
    /// </summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 128;

    /// <summary>
    /// SMTP sessions held open at most, shared by the workers. Below the mail server's limit per client (Postfix's
    /// <c>smtpd_client_connection_count_limit</c> is 50 by default); each pipelined session carries hundreds of mails a second.
    /// </summary>
    [Range(1, 256)]
    public int SmtpSessions { get; set; } = 32;

    /// <summary>
    /// A PEM certificate file trusted for the SMTP server besides the system's roots: a relay with a private or
    /// self-signed certificate (the development server's, which the AppHost generates). Its host name and dates are still
    /// checked, and nothing else is trusted by it. Empty: the system's roots only.
    /// </summary>
    public string? SmtpTrustedCertificate { get; set; }

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A delivery whose contacts could not be fetched is retried this many times, then fails.</summary>
    [Range(1, 100)]
    public int MaxContactAttempts { get; set; } = 8;

    [Range(1, 1_000_000)]
    public int MaxSubjectsPerRequest { get; set; } = 100_000;
}

public static class ChannelNames
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const string Push = "push";
}
