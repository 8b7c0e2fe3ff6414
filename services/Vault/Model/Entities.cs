namespace PrivacySuite.Vault.Model;

public sealed class Subject
{
    public string SubjectId { get; set; } = "";
    public byte[]? WrappedKey { get; set; }
    public int KekVersion { get; set; }

    /// <summary>Whether the data key is wrapped together with the subject's key file (see SubjectKeyStore).</summary>
    public bool SubjectKey { get; set; }
    public int KeyGeneration { get; set; } = 1;
    /// <summary>Encryptions under the current data key, counted against its budget (nonces are random).</summary>
    public long NoncesUsed { get; set; }

    /// <summary>Key files of the subject wait for deletion: all of them once erased, else those of earlier generations.</summary>
    public bool StaleKeyFiles { get; set; }
    public bool IsMinor { get; set; }
    public string? GuardianSubjectId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ErasedAt { get; set; }
}

public sealed class PersonalValue
{
    public string Token { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string Category { get; set; } = "";
    public string Field { get; set; } = "";
    public string Source { get; set; } = "";
    public string LegalBasis { get; set; } = "";

    /// <summary>The purposes a non-consent <see cref="LegalBasis"/> was recorded for; a read for any other needs consent. Empty under consent.</summary>
    public string[] BasisPurposes { get; set; } = [];
    public int Version { get; set; }
    public int KeyGeneration { get; set; }
    public byte[] Nonce { get; set; } = [];
    public byte[] Ciphertext { get; set; } = [];
    public string? LookupToken { get; set; }
    public DateTimeOffset StoredAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class ConsentDecision
{
    public string SubjectId { get; set; } = "";
    public string Purpose { get; set; } = "";
    public bool Allowed { get; set; }
    public string? PolicyVersion { get; set; }
    public string Origin { get; set; } = "";

    /// <summary>When the vault asked (its clock): the decision is not used past <see cref="VaultOptions.ConsentDecisionMaxAge"/>.</summary>
    public DateTimeOffset DecidedAt { get; set; }

    /// <summary>The consent service's time of the last change to the subject this answer reflects; null for an unknown subject.</summary>
    public DateTimeOffset? AsOf { get; set; }

    /// <summary>The policy epoch the answer was decided under; the decision is not used once a later one is heard of.</summary>
    public long PolicyEpoch { get; set; }

    /// <summary>Allowed by consent: the sensitive categories (lower case) the subject separately consented to for the purpose.</summary>
    public string[] SensitiveCategories { get; set; } = [];
}

/// <summary>The newest change to a subject's consent the vault has heard of, on the consent service's clock (see ConsentChanges).</summary>
public sealed class ConsentChange
{
    public string SubjectId { get; set; } = "";
    public DateTimeOffset ChangedAt { get; set; }
}

public sealed class Processor
{
    public string ProcessorId { get; set; } = "";
    public string Name { get; set; } = "";
    public string[] Purposes { get; set; } = [];
    public DateTimeOffset RegisteredAt { get; set; }
}

public sealed class Approval
{
    public Guid ApprovalId { get; set; }
    public string SubjectId { get; set; } = "";
    public string Category { get; set; } = "";
    public string Purpose { get; set; } = "";
    public string Accessor { get; set; } = "";
    public string GrantedBy { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}

public sealed class LegalHold
{
    public Guid HoldId { get; set; }
    public string? SubjectId { get; set; }
    public string? Category { get; set; }
    public string ReasonCode { get; set; } = "";
    public DateTimeOffset PlacedAt { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
}

/// <summary>
/// One identity check: a rights request (access, export, rectification, erasure), the proof of a contact
/// (<c>contact</c>: the code goes to the new contact; <c>contact-confirmation</c>: to the verified one), a guardian's
/// confirmation of guardianship of a minor (<c>guardianship</c>: the code goes to the guardian's verified contacts) or a
/// sign-in to the privacy centre (<c>sign-in</c>: the code goes to the one verified contact that was typed). The code exists
/// only from its release to the notification service, which makes it; only its keyed hash is kept (null until then).
/// </summary>
public sealed class Verification
{
    public Guid VerificationId { get; set; }
    public string SubjectId { get; set; } = "";
    public string Request { get; set; } = "";
    public string? CodeHash { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? UsedAt { get; set; }

    /// <summary>When the code was made and handed to the notification service; a code is handed out once.</summary>
    public DateTimeOffset? ReleasedAt { get; set; }

    /// <summary>For a contact's proof: the contact field (email, phone, push) and the version of its value being proven.</summary>
    public string? ContactField { get; set; }
    public int? ContactVersion { get; set; }

    /// <summary>A privacy officer's approval of an access or export of the highest protection level (IWK-2.2).</summary>
    public string? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }

    /// <summary>For a guardianship: the minor whose guardian <see cref="SubjectId"/> confirms to be; the code redeems this pair only.</summary>
    public string? MinorSubjectId { get; set; }

    /// <summary>For a sign-in: the token of the contact value typed; with <see cref="ContactVersion"/>, the one verified contact the code goes to.</summary>
    public string? ContactToken { get; set; }

    /// <summary>When the verification was started; null for those started before migration 0011.</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>
    /// For a rights request a guardian started for the minor <see cref="SubjectId"/> (IWK-3.1): the guardian, whose
    /// verified contacts get the code and who alone, acting for the minor, redeems it.
    /// </summary>
    public string? GuardianId { get; set; }
}

/// <summary>
/// A contact the subject proved control of: codes go here and nowhere else. A copy of the contact value as it was
/// verified (same plaintext, same AAD inputs as <see cref="SourceToken"/> at <see cref="SourceVersion"/>), so a later
/// overwrite of the contact field by a product backend leaves it as it was. Deleting the source value deletes it.
/// </summary>
public sealed class VerifiedContact
{
    public string SubjectId { get; set; } = "";
    public string Field { get; set; } = "";
    public string SourceToken { get; set; } = "";
    public int SourceVersion { get; set; }
    public int KeyGeneration { get; set; }
    public byte[] Nonce { get; set; } = [];
    public byte[] Ciphertext { get; set; } = [];
    public DateTimeOffset VerifiedAt { get; set; }
    public string VerifiedBy { get; set; } = "";
}

public sealed class DeletionCertificate
{
    public Guid CertificateId { get; set; }
    public string SubjectId { get; set; } = "";
    public string Reason { get; set; } = "";
    public int ValuesShredded { get; set; }
    public DateTimeOffset ErasedAt { get; set; }
}

public sealed class TransferBasis
{
    public Guid BasisId { get; set; }
    public string DestinationCountry { get; set; } = "";
    public string Recipient { get; set; } = "";
    public string Mechanism { get; set; } = "";
    public string Reference { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
}

public sealed class AccessLogEntry
{
    public long Position { get; set; }
    public DateTimeOffset At { get; set; }
    public string Action { get; set; } = "";
    public string Outcome { get; set; } = "";
    public string? SubjectId { get; set; }
    public string Accessor { get; set; } = "";
    public string? Purpose { get; set; }
    public string? Category { get; set; }
    public string? ProcessorId { get; set; }
    public string? Detail { get; set; }
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}
