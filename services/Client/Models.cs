using System.Text.Json.Serialization;

namespace PrivacySuite.Client;

/// <summary>The consent check's answer: whether the purpose is allowed, on which legal basis, under which policy version, and why.</summary>
/// <summary>The check's answer; allowed by consent, <paramref name="SensitiveCategories"/> names the sensitive categories the person separately consented to for the purpose.</summary>
public sealed record ConsentCheckResult(bool Allowed, string? Basis, string? PolicyVersion, string Reason, IReadOnlyList<string>? SensitiveCategories = null);

public sealed record PurposeNames(string En, string ZhCn);

public sealed record PurposeInfo(
    string Code,
    string PolicyId,
    PurposeNames Names,
    bool Essential,
    string DefaultBasis,
    IReadOnlyList<string> DataCategories,
    string? ThirdPartyRecipient,
    bool SeparateConsent,
    string ChangedInVersion);

public sealed record RegisterSubject(string SubjectId, string PolicyId, DateOnly? BirthDate = null, string? AgeBand = null);

public sealed record SubjectInfo(string SubjectId, string PolicyId, string Status, bool NeedsGuardianConsent, DateTimeOffset RegisteredAt, DateTimeOffset? CancelledAt);

/// <summary>
/// A minor's guardian (IWK-3.1): a registered adult other than the minor, with the vault's guardian verification started
/// for this guardian and minor (<c>POST /v1/subjects/{guardianId}/guardian-verifications</c>) and the code it sent to the
/// guardian. The code is spent when the consent is recorded; do not keep it.
/// </summary>
public sealed record GuardianConsent(string GuardianId, Guid VerificationId, string Code);

/// <summary>
/// A grant. <paramref name="LegalBasis"/> other than <c>Consent</c> records one of IWK-1.3's grounds and needs a
/// <paramref name="BasisReference"/>. <paramref name="SensitiveCategories"/> names the purpose's sensitive categories
/// (<c>Identity</c>, <c>Location</c>) the person agreed to separately, each asked on its own screen (PIPL Art. 29).
/// </summary>
public sealed record GrantConsent(
    string Purpose,
    string PolicyVersion,
    string CollectionMethod,
    string Jurisdiction = "CN",
    GuardianConsent? Guardian = null,
    string? LegalBasis = null,
    string? BasisReference = null,
    IReadOnlyList<string>? SensitiveCategories = null);

public sealed record ConsentInfo(
    string Purpose,
    string State,
    string Basis,
    string PolicyVersion,
    string CollectionMethod,
    string Jurisdiction,
    string? GuardianId,
    DateTimeOffset ChangedAt,
    Guid? ReceiptId,
    Guid? GuardianVerificationId = null,
    IReadOnlyList<string>? SensitiveCategories = null);

/// <summary>A granted consent and its receipt: a compact JWS (ES256) that <see cref="ConsentReceiptVerifier"/> checks offline.</summary>
public sealed record GrantedConsent(ConsentInfo Consent, string? Receipt);

public sealed record ConsentHistoryItem(
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
    Guid? GuardianVerificationId = null,
    IReadOnlyList<string>? SensitiveCategories = null,
    string? Category = null);

public sealed record SubjectConsents(SubjectInfo Subject, IReadOnlyList<ConsentInfo> Consents, IReadOnlyList<ConsentHistoryItem> History);

public sealed record AccountCancellation(string SubjectId, DateTimeOffset CancelledAt, IReadOnlyList<string> EndedPurposes);

public sealed record NewPurpose(
    string Code,
    string NameEn,
    string NameZh,
    bool Essential,
    string DefaultBasis,
    IReadOnlyList<string> DataCategories,
    string? ThirdPartyRecipient = null,
    bool SeparateConsent = false);

/// <summary>A policy version to publish: what every subject is told of it, and its full text in both languages.</summary>
public sealed record PublishPolicyVersion(
    string Version,
    PolicyAnnouncement Announcement,
    PolicyText Text,
    IReadOnlyList<string>? ChangedPurposes = null,
    IReadOnlyList<NewPurpose>? NewPurposes = null,
    int? GuardianAge = null);

/// <summary>When the version takes effect, what changed (plain text, no braces), and where a subject reads and accepts it.</summary>
public sealed record PolicyAnnouncement(DateOnly EffectiveDate, PolicySummary Summary, string ReviewUrl);

public sealed record PolicySummary(string En, string ZhCn);

/// <summary>A policy version's full text, Markdown, at most 50,000 characters in each language.</summary>
public sealed record PolicyText(string En, string ZhCn);

/// <summary>The version of a policy in force and its text (null for a version published before texts were stored).</summary>
public sealed record CurrentPolicy(
    string PolicyId, string Version, DateOnly? EffectiveDate, DateTimeOffset PublishedAt, IReadOnlyList<string> ChangedPurposes, PolicyText? Text);

public sealed record PolicyVersionInfo(string PolicyId, string Version, IReadOnlyList<string> ChangedPurposes, int GuardianAge, DateTimeOffset PublishedAt);

/// <summary>An EC public key (JWK) that verifies consent receipts.</summary>
public sealed record ReceiptKey(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("alg")] string Alg);

public sealed record ReceiptKeySet(IReadOnlyList<ReceiptKey> Keys);

/// <summary>A refusal from the consent service; see <see cref="PrivacySuiteApiException"/>.</summary>
public sealed class ConsentApiException(int status, string? title, string? detail, string? reason, IReadOnlyDictionary<string, string[]>? errors = null)
    : PrivacySuiteApiException("consent", status, title, detail, reason, errors);
