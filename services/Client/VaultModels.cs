namespace PrivacySuite.Client;

/// <summary>
/// Fields of one category to store (<c>POST /v1/subjects/{subjectId}/data</c>). <paramref name="LegalBasis"/> is required:
/// <c>consent</c>, <c>contract</c> (the only one for <c>delivery</c>) or one of IWK-1.3's grounds; a non-consent basis
/// names in <paramref name="Purposes"/> the catalogue purposes it covers, and consent sends none.
/// </summary>
public sealed record StoreData(
    string Category,
    string Source,
    string LegalBasis,
    IReadOnlyDictionary<string, string> Fields,
    IReadOnlyList<string>? Purposes = null);

/// <summary>What the vault stored: a token per field. Keep the tokens; the values stay in the vault.</summary>
public sealed record StoredData(string SubjectId, string Category, IReadOnlyDictionary<string, string> Tokens);

public sealed record SubjectProfile(bool IsMinor, string? GuardianSubjectId);

public sealed record SubjectProfileInfo(string SubjectId, bool IsMinor, string? GuardianSubjectId);

public sealed record LookupMatch(string SubjectId, string Token);

/// <summary>The tokens of an e-mail address or phone number (at most 100); never a value.</summary>
public sealed record LookupResult(IReadOnlyList<LookupMatch> Matches);

/// <summary>One value a purpose-checked read returned.</summary>
public sealed record VaultValue(string Token, string SubjectId, string Category, string Field, string Value, string Source, string LegalBasis);

public sealed record DetokenizeResult(IReadOnlyList<VaultValue> Values);

/// <summary>A rights request (<c>access</c>, <c>export</c>, <c>rectification</c>, <c>erasure</c>) started: a one-time code went to the subject's verified contacts.</summary>
public sealed record VerificationStarted(Guid VerificationId, string Request, DateTimeOffset ExpiresAt);

/// <summary>
/// A contact's proof started: a code went to the contact. <paramref name="ConfirmWith"/>: <c>none</c> (the first verified
/// contact), <c>verified-contact</c> (a second code went to the contact verified so far, <paramref name="ConfirmationId"/>)
/// or <c>own-token</c>.
/// </summary>
public sealed record ContactVerificationStarted(Guid VerificationId, string Field, DateTimeOffset ExpiresAt, Guid? ConfirmationId, string ConfirmWith);

public sealed record VerifiedContactInfo(string SubjectId, string Field, string Channel, DateTimeOffset VerifiedAt);

public sealed record GuardianVerificationStarted(Guid VerificationId, string GuardianId, string MinorSubjectId, DateTimeOffset ExpiresAt);

public sealed record CategoryData(string Category, string Source, string LegalBasis, IReadOnlyDictionary<string, string> Fields, DateTimeOffset UpdatedAt);

/// <summary>The answer to an access request: all of the subject's data, by category.</summary>
public sealed record SubjectData(string SubjectId, IReadOnlyList<CategoryData> Categories);

/// <summary>The answer to an export request: every value, machine-readable (<c>privacysuite-subject-export/v1</c>).</summary>
public sealed record SubjectExport(string Format, string SubjectId, DateTimeOffset ExportedAt, IReadOnlyList<VaultValue> Values);

public sealed record RectificationDone(string SubjectId, string Category, IReadOnlyDictionary<string, string> Tokens);

public sealed record ErasureDone(string SubjectId, Guid DeletionCertificateId, DateTimeOffset ErasedAt);

/// <summary>A rights request as the operators' queue shows it: <c>open</c>, <c>completed</c> or <c>expired</c>.</summary>
/// <summary>One of a subject's rights requests: <c>open</c>, <c>approved</c>, <c>done</c> (at <see cref="DoneAt"/>) or <c>expired</c>.</summary>
public sealed record SubjectOwnRequest(Guid Id, string Request, DateTimeOffset StartedAt, DateTimeOffset ExpiresAt, string State, DateTimeOffset? DoneAt);

public sealed record SubjectRequestInfo(
    Guid Id,
    string SubjectId,
    string Request,
    string State,
    DateTimeOffset StartedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? CompletedAt,
    int Attempts,
    DateTimeOffset? ApprovedAt = null,
    string? ApprovedBy = null);
