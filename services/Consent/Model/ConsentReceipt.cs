namespace PrivacySuite.Consent.Model;

/// <summary>The fields of a consent receipt, after the Kantara Consent Receipt v1.1 and ISO/IEC 27560.</summary>
public sealed record ConsentReceipt(
    string Version,
    Guid ConsentReceiptId,
    string Jurisdiction,
    long ConsentTimestamp,
    string CollectionMethod,
    string PiiPrincipalId,
    string PiiController,
    string PolicyId,
    string PolicyVersion,
    IReadOnlyList<ReceiptPurpose> Purposes,
    bool Sensitive,
    string? GuardianId,
    string? GuardianVerification);

public sealed record ReceiptPurpose(
    string Purpose,
    string PurposeName,
    string ConsentType,
    string LegalBasis,
    IReadOnlyList<string> PiiCategory,
    bool PrimaryPurpose,
    string Termination,
    bool ThirdPartyDisclosure,
    string? ThirdPartyName);
