using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.PrivacyCentre;

/// <summary>What the AppHost hands the privacy centre (PrivacySuite:PrivacyCentre:*).</summary>
public sealed class PrivacyCentreOptions
{
    public const string SectionName = "PrivacySuite:PrivacyCentre";

    /// <summary>
    /// Base64 PKCS#8 of the P-256 key the centre signs its people's tokens with (issuer privacysuite-privacy-centre, role
    /// subject only); the services hold its public half (PrivacySuite:Auth:PrivacyCentreKey).
    /// </summary>
    [Required]
    public string SigningKey { get; set; } = "";

    /// <summary>
    /// The regions (PrivacySuite:PrivacyCentre:Regions:0, :1, …), the primary first: the services of the first are asked,
    /// the next region's when a connection cannot be opened (a standby passes writes on to the primary). No default:
    /// the binder appends configured items to a default array instead of replacing it.
    /// </summary>
    [MinLength(1)]
    public string[] Regions { get; set; } = [];

    /// <summary>How long a person stays signed in without using the centre: short, since it opens their data.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The jurisdiction a consent given in the centre is recorded under.</summary>
    [Required, RegularExpression("^[A-Z]{2}$")]
    public string Jurisdiction { get; set; } = "CN";

    /// <summary>
    /// Calls one client address may make per minute to the routes without a session (sign-in: codes asked for or entered;
    /// cancellation receipts), 429 beyond.
    /// </summary>
    [Range(1, 10_000)]
    public int AnonymousRequestsPerMinute { get; set; } = 30;
}
