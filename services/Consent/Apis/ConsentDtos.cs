using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Consent.Apis;

internal static class Patterns
{
    public const string SubjectId = PrivacySuite.Contracts.SubjectId.Pattern;
    public const string Purpose = PurposeCode.Pattern;
    public const string Token = IdPatterns.Opaque;
    public const string Version = IdPatterns.PolicyVersion;
    public const string Jurisdiction = "^[A-Z]{2}$";
}

/// <summary>Registers a subject under a policy. Give the birth date, or an age band when the date is not collected.</summary>
public sealed record RegisterSubjectRequest(
    [property: Required, RegularExpression(Patterns.SubjectId)] string SubjectId,
    [property: Required, RegularExpression(Patterns.Token)] string PolicyId,
    DateOnly? BirthDate,
    [property: RegularExpression("^(under-14|14-17|18-plus)$")] string? AgeBand);

public sealed record SubjectView(string SubjectId, string PolicyId, string Status, bool NeedsGuardianConsent, DateTimeOffset RegisteredAt, DateTimeOffset? CancelledAt);

/// <summary>
/// The guardian who consents for a minor (IWK-3.1): a registered adult other than the minor, and the proof that it is
/// them: the vault verification started for this guardian and minor (<c>POST /v1/subjects/{guardianId}/guardian-verifications</c>
/// at the vault) and the one-time code it sent to the guardian's own verified contacts. The code is spent at the vault
/// when the consent is recorded, and is stored nowhere.
/// </summary>
public sealed record GuardianConsent(
    [property: Required, RegularExpression(Patterns.SubjectId)] string GuardianId,
    Guid VerificationId,
    [property: Required, RegularExpression("^[0-9]{4,10}$")] string Code);

/// <summary>
/// Grants consent to a purpose, as shown to the subject under <c>policyVersion</c>. With a <c>legalBasis</c> other than
/// <c>Consent</c> it records one of IWK-1.3's grounds instead, with a case reference; that is audited.
/// <c>sensitiveCategories</c> names the purpose's sensitive categories (Identity, Location) the subject agreed to
/// separately, each asked on its own (PIPL Art. 29); left out, none. A grant replaces the previous one, so a grant that
/// leaves a category out ends its separate consent.
/// </summary>
public sealed record GrantConsentRequest(
    [property: Required, RegularExpression(Patterns.Purpose)] string Purpose,
    [property: Required, RegularExpression(Patterns.Version)] string PolicyVersion,
    [property: Required, RegularExpression(Patterns.Token)] string CollectionMethod,
    [property: Required, RegularExpression(Patterns.Jurisdiction)] string Jurisdiction,
    GuardianConsent? Guardian,
    LegalBasis? LegalBasis,
    [property: RegularExpression(Patterns.Token)] string? BasisReference,
    [property: MaxLength(2)] IReadOnlyList<DataCategory>? SensitiveCategories = null);

public sealed record ConsentView(
    string Purpose,
    string State,
    string Basis,
    string PolicyVersion,
    string CollectionMethod,
    string Jurisdiction,
    string? GuardianId,
    DateTimeOffset ChangedAt,
    Guid? ReceiptId,
    Guid? GuardianVerificationId,
    IReadOnlyList<string> SensitiveCategories);

/// <summary>A granted consent and its signed receipt (compact JWS, ES256; keys at <c>/v1/receipts/keys</c>).</summary>
public sealed record GrantedConsent(ConsentView Consent, string? Receipt);

public sealed record HistoryView(
    long Sequence,
    string Purpose,
    string Action,
    string Basis,
    string? PolicyVersion,
    string? CollectionMethod,
    string? Jurisdiction,
    string? GuardianId,
    string Actor,
    DateTimeOffset At,
    Guid? ReceiptId,
    string? Receipt,
    Guid? GuardianVerificationId,
    IReadOnlyList<string>? SensitiveCategories,
    string? Category);

/// <summary>
/// A subject's consents and history, and for each purpose of their policy what the consent check answers now
/// (<c>decisions</c>): whether it is allowed, why (the check's reason: consent-granted, policy-changed, …), and the
/// policy version agreed to or, when denied, the one to show when asking again.
/// </summary>
public sealed record SubjectConsents(SubjectView Subject, IReadOnlyList<ConsentView> Consents, IReadOnlyList<HistoryView> History,
    IReadOnlyList<PurposeDecision> Decisions);

/// <summary>A minor whose consent the person gave as their guardian, and whether the minor still needs a guardian's consent.</summary>
public sealed record WardView(string SubjectId, string PolicyId, bool NeedsGuardianConsent);

public sealed record PurposeDecision(string Purpose, bool Allowed, string Reason, string? Basis, string? PolicyVersion, IReadOnlyList<string> SensitiveCategories);

public sealed record CancellationView(string SubjectId, DateTimeOffset CancelledAt, IReadOnlyList<string> EndedPurposes);

/// <summary>A purpose added by a policy version.</summary>
public sealed record PurposeDefinition(
    [property: Required, RegularExpression(Patterns.Purpose)] string Code,
    [property: Required, StringLength(200, MinimumLength = 1)] string NameEn,
    [property: Required, StringLength(200, MinimumLength = 1)] string NameZh,
    bool Essential,
    LegalBasis DefaultBasis,
    [property: Required, MinLength(1), MaxLength(6)] IReadOnlyList<DataCategory> DataCategories,
    [property: StringLength(200, MinimumLength = 1)] string? ThirdPartyRecipient,
    bool SeparateConsent);

/// <summary>
/// Publishes a policy version. <c>changedPurposes</c> names existing purposes whose purpose, method or data categories
/// changed (PIPL Art. 14): earlier consent to them stops counting. New purposes count as changed.
/// </summary>
public sealed record PublishPolicyVersionRequest(
    [property: Required, RegularExpression(Patterns.Version)] string Version,
    [property: MaxLength(100)] IReadOnlyList<string>? ChangedPurposes,
    [property: MaxLength(50)] IReadOnlyList<PurposeDefinition>? NewPurposes,
    [property: Range(ConsentRules.MinimumGuardianAge, ConsentRules.MaximumGuardianAge)] int? GuardianAge,
    [property: Required] PolicyAnnouncement? Announcement,
    [property: Required] PolicyText? Text);

/// <summary>
/// The full text of a policy version as the subjects read it, in both languages: Markdown (plain text is Markdown too),
/// at most <see cref="MaxLength"/> characters each, not blank.
/// </summary>
public sealed record PolicyText(
    [property: Required, StringLength(PolicyText.MaxLength, MinimumLength = 1)] string En,
    [property: Required, StringLength(PolicyText.MaxLength, MinimumLength = 1)] string ZhCn)
{
    public const int MaxLength = PolicyVersionText.MaxLength;

    /// <summary>A body with both texts at their longest, each character escaped as <c>\uXXXX</c>, and the rest of the request.</summary>
    public const long MaxRequestBytes = 1024 * 1024;
}

/// <summary>The version of a policy in force for new consents, and its text (null for a version published before texts were stored).</summary>
public sealed record CurrentPolicyView(
    string PolicyId,
    string Version,
    DateOnly? EffectiveDate,
    DateTimeOffset PublishedAt,
    IReadOnlyList<string> ChangedPurposes,
    PolicyText? Text);

/// <summary>
/// What every subject of the policy is told of the new version (INF-7.1, IWK-0.1), in their language: when it takes
/// effect, what changed, and where to read and accept it. Plain text: no braces, no control characters but line breaks.
/// </summary>
public sealed record PolicyAnnouncement(
    [property: Required] DateOnly? EffectiveDate,
    [property: Required] AnnouncementSummary? Summary,
    [property: Required, StringLength(500, MinimumLength = 1)] string ReviewUrl);

public sealed record AnnouncementSummary(
    [property: Required, StringLength(PolicyAnnouncements.MaxSummaryLength, MinimumLength = 1)] string En,
    [property: Required, StringLength(PolicyAnnouncements.MaxSummaryLength, MinimumLength = 1)] string ZhCn);

/// <summary>How far the announcement of a version has come: subjects asked a notice for, and when all of them were.</summary>
public sealed record AnnouncementView(int SubjectsAsked, int Pages, DateTimeOffset? FinishedAt);

public sealed record PolicyVersionView(string PolicyId, string Version, IReadOnlyList<string> ChangedPurposes, int GuardianAge, DateTimeOffset PublishedAt,
    AnnouncementView? Announcement = null);

public sealed record PurposeNames(string En, string ZhCn);

public sealed record PurposeView(
    string Code,
    string PolicyId,
    PurposeNames Names,
    bool Essential,
    string DefaultBasis,
    IReadOnlyList<string> DataCategories,
    string? ThirdPartyRecipient,
    bool SeparateConsent,
    string ChangedInVersion);

public sealed record ReceiptKeySet(IReadOnlyList<ReceiptJwk> Keys);

