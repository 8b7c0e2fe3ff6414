namespace PrivacySuite.Consent.Model;

/// <summary>A privacy policy: its controller, current version and the age under which a guardian must consent.</summary>
public sealed class Policy
{
    public string PolicyId { get; set; } = "";

    public string Controller { get; set; } = "";

    public int GuardianAge { get; set; } = 18;

    public string CurrentVersion { get; set; } = "";
}

/// <summary>
/// The text of a published version, in both languages (Markdown; plain text is Markdown too). A row of its own so that
/// listing versions does not read tens of kilobytes per version; written in the version's own transaction.
/// </summary>
public sealed class PolicyVersionText
{
    /// <summary>The longest text of one language: four times the longest policy served today (about 12,000 characters).</summary>
    public const int MaxLength = 50_000;

    public string PolicyId { get; set; } = "";

    public string Version { get; set; } = "";

    public string TextEn { get; set; } = "";

    public string TextZhCn { get; set; } = "";
}

/// <summary>A published version of a policy and the purposes it changed.</summary>
public sealed class PolicyVersion
{
    public string PolicyId { get; set; } = "";

    public string Version { get; set; } = "";

    public long Sequence { get; set; }

    public List<string> ChangedPurposes { get; set; } = [];

    public DateTimeOffset PublishedAt { get; set; }

    /// <summary>When the version takes effect, as told to the subjects; null only for versions published before announcements.</summary>
    public DateOnly? EffectiveDate { get; set; }

    public string? SummaryEn { get; set; }

    public string? SummaryZhCn { get; set; }

    /// <summary>Where a subject reads and accepts the version.</summary>
    public string? ReviewUrl { get; set; }

    /// <summary>The last subject id asked a notice for; the announcement goes on after it.</summary>
    public string? AnnouncedThrough { get; set; }

    public int AnnouncedPages { get; set; }

    public int AnnouncedSubjects { get; set; }

    /// <summary>When every active subject of the policy had been asked a notice for; null while the announcement pages.</summary>
    public DateTimeOffset? AnnouncedAt { get; set; }
}

/// <summary>A purpose of processing in the catalogue (INF-4.1); sharing with a third party is a purpose of its own (INF-5.1).</summary>
public sealed class Purpose
{
    public string Code { get; set; } = "";

    public string PolicyId { get; set; } = "";

    public string NameEn { get; set; } = "";

    public string NameZh { get; set; } = "";

    public bool Essential { get; set; }

    public string DefaultBasis { get; set; } = nameof(LegalBasis.Consent);

    public List<string> DataCategories { get; set; } = [];

    public string? ThirdPartyRecipient { get; set; }

    public bool SeparateConsent { get; set; }

    /// <summary>The policy version that last changed this purpose; earlier consent no longer counts (INF-4.2).</summary>
    public string ChangedInVersion { get; set; } = "";

    public long ChangedInSequence { get; set; }
}

public static class SubjectStatus
{
    public const string Active = "active";
    public const string Cancelled = "cancelled";

    /// <summary>The vault erased the subject: the id stays taken and the history stays, the birth date and age band are gone.</summary>
    public const string Erased = "erased";
}

/// <summary>A data subject, known only by the product backend's opaque id.</summary>
public sealed class Subject
{
    public string SubjectId { get; set; } = "";

    public string PolicyId { get; set; } = "";

    public DateOnly? BirthDate { get; set; }

    public string? AgeBand { get; set; }

    public string Status { get; set; } = SubjectStatus.Active;

    public DateTimeOffset RegisteredAt { get; set; }

    public DateTimeOffset? CancelledAt { get; set; }

    public DateTimeOffset? ErasedAt { get; set; }
}

public static class ConsentState
{
    public const string Granted = "granted";
    public const string Withdrawn = "withdrawn";
    public const string SensitiveWithdrawn = "sensitive-consent-withdrawn";
}

/// <summary>The current state of one subject's consent (or other legal basis) for one purpose.</summary>
public sealed class ConsentRecord
{
    public string SubjectId { get; set; } = "";

    public string Purpose { get; set; } = "";

    public string State { get; set; } = ConsentState.Granted;

    public string Basis { get; set; } = nameof(LegalBasis.Consent);

    public string PolicyVersion { get; set; } = "";

    public long PolicySequence { get; set; }

    public string CollectionMethod { get; set; } = "";

    public string Jurisdiction { get; set; } = "";

    public string? GuardianId { get; set; }

    /// <summary>The vault verification whose code proved the guardian when the consent was recorded (issue 18.3).</summary>
    public Guid? GuardianVerificationId { get; set; }

    /// <summary>The free text a product backend gave for a guardian before guardians were verified; null since.</summary>
    public string? GuardianVerification { get; set; }

    public string? BasisReference { get; set; }

    /// <summary>The purpose's sensitive categories (as <see cref="DataCategory"/> names) the subject separately agreed to (PIPL Art. 29).</summary>
    public List<string> SensitiveCategories { get; set; } = [];

    public DateTimeOffset ChangedAt { get; set; }

    public Guid? ReceiptId { get; set; }
}

/// <summary>One row of the append-only consent history.</summary>
public sealed class ConsentHistoryEntry
{
    public long Id { get; set; }

    public string SubjectId { get; set; } = "";

    public string Purpose { get; set; } = "";

    public string Action { get; set; } = "";

    public string Basis { get; set; } = "";

    public string? PolicyVersion { get; set; }

    public string? CollectionMethod { get; set; }

    public string? Jurisdiction { get; set; }

    public string? GuardianId { get; set; }

    /// <summary>The vault verification whose code proved the guardian when the consent was recorded (issue 18.3).</summary>
    public Guid? GuardianVerificationId { get; set; }

    /// <summary>The free text a product backend gave for a guardian before guardians were verified; null since.</summary>
    public string? GuardianVerification { get; set; }

    public string? BasisReference { get; set; }

    /// <summary>Who made the change: the authenticated caller's name, never the person.</summary>
    /// <summary>A grant: the sensitive categories separately agreed to with it.</summary>
    public List<string>? SensitiveCategories { get; set; }

    /// <summary>A withdrawal of separate consent: the category withdrawn.</summary>
    public string? Category { get; set; }

    public string Actor { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public Guid? ReceiptId { get; set; }

    public string? Receipt { get; set; }
}

/// <summary>An audit row for a non-consent legal basis (IWK-1.3).</summary>
public sealed class LegalBasisAuditEntry
{
    public long Id { get; set; }

    public string SubjectId { get; set; } = "";

    public string Purpose { get; set; } = "";

    public string Basis { get; set; } = "";

    public string Reference { get; set; } = "";

    public string Actor { get; set; } = "";

    public DateTimeOffset At { get; set; }
}

/// <summary>The ECDSA P-256 key that signs consent receipts.</summary>
public sealed class ReceiptKey
{
    public string KeyId { get; set; } = "";

    public byte[] PrivateKey { get; set; } = [];

    public string PublicJwk { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

public static class HistoryAction
{
    public const string Granted = "granted";
    public const string Withdrawn = "withdrawn";
    public const string SensitiveWithdrawn = "sensitive-consent-withdrawn";
    public const string Cancelled = "account-cancelled";
}
