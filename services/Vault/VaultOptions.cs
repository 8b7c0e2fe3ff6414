using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Vault;

/// <summary>Configuration section <c>PrivacySuite:Vault</c>; the defaults work for a developer machine.</summary>
public sealed class VaultOptions
{
    public const string SectionName = "PrivacySuite:Vault";

    /// <summary>Folder of the key-encryption keys and the MAC root key; created with mode 700 when missing.</summary>
    public string KeyDirectory { get; set; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
        "privacysuite", "vault-keys");

    /// <summary>
    /// Encryptions allowed under one data key before it is replaced. Nonces are random, so NIST SP 800-38D allows at most
    /// 2^32 per key (a repeat then has probability below 2^-32); the default of 2^31 leaves the other half for counts a
    /// database restore or failover rolled back (the count is in the database, the encryptions happened anyway).
    /// </summary>
    [Range(1, 1L << 32)]
    public long MaxEncryptionsPerKey { get; set; } = 1L << 31;

    /// <summary>
    /// A token's use is reported to retention (<c>SubjectDataUsed</c>, the "last use" clock) at most once per this
    /// interval per instance; retention periods are counted in days.
    /// </summary>
    public TimeSpan DataUseCoalescing { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often a round anchors the access log's committed head. Appends anchor their own heads before answering; the
    /// round catches entries whose process stopped between their commit and their anchor.
    /// </summary>
    public TimeSpan AccessLogAnchorInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an unwrapped data key, and a subject key read from its file, stay in memory. Erasure in this process
    /// drops them at once; an erasure by another instance (key file deleted) takes effect here within this time even
    /// against a row restored from a backup, since reads also find the erased row's wrapped key gone.
    /// </summary>
    public TimeSpan KeyCacheLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a consent decision kept from the consent service's check is used; then the vault asks again. Events
    /// (withdrawal, cancellation, a new policy version) take a decision away at once; this bounds the damage of one that
    /// is lost, and of a change that sends no event. At most one hour.
    /// </summary>
    public TimeSpan ConsentDecisionMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often subjects stored before per-subject key files existed are looked for and given one (also at start-up).</summary>
    public TimeSpan KeyFileUpgradeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often key files that an erasure or re-key made stale, and that were not deleted right after its commit (the
    /// process stopped, or the deletion failed), are deleted (also at start-up).
    /// </summary>
    public TimeSpan StaleKeyFileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long an <c>Idempotency-Key</c> of a write is remembered: within it, the same key with the same request answers
    /// the first answer again, and with another request 422. After it the key may be used for a new write. 1 hour to 7 days.
    /// </summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long an approval for a read of the highest protection level stays usable.</summary>
    public TimeSpan ApprovalLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a one-time identity verification code stays valid.</summary>
    public TimeSpan VerificationLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The least time <c>POST /v1/sign-in</c> takes to answer, known address or not: a code for a known one costs a
    /// transaction more, and the answer's time must not tell the two apart. At most 5 s; zero turns it off.
    /// </summary>
    public TimeSpan SignInMinimumAnswerTime { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Wrong codes allowed before a verification is spent.</summary>
    [Range(1, 20)]
    public int VerificationAttempts { get; set; } = 5;

    /// <summary>The jurisdiction data stays in without a cross-border transfer basis (IWK-2.4).</summary>
    public string HomeJurisdiction { get; set; } = "CN";

    /// <summary>
    /// The consent purposes that stand for the separate consent to a cross-border transfer (PIPL Art. 39), one per policy
    /// (a subject can consent only to purposes of their own policy); a transfer abroad needs one of them allowed. Null or
    /// empty: <see cref="DefaultCrossBorderPurposes"/>, the ones the consent service seeds.
    /// </summary>
    public string[]? CrossBorderPurposes { get; set; }

    public static readonly IReadOnlyList<string> DefaultCrossBorderPurposes = ["transfer.cross-border", "iwalk.transfer.cross-border"];

    /// <summary>The cross-border purposes in force.</summary>
    public IReadOnlyList<string> CrossBorderPurposesInForce => CrossBorderPurposes is { Length: > 0 } configured ? configured : DefaultCrossBorderPurposes;

    /// <summary>
    /// The longest the vault uses its copy of the consent service's purpose catalogue before asking for it again. A purpose
    /// the copy lacks is asked for at once; this only bounds a change the catalogue's API cannot make (categories of an
    /// existing purpose changed in its database).
    /// </summary>
    public TimeSpan PurposeCatalogueMaxAge { get; set; } = TimeSpan.FromMinutes(5);
}
