using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Input;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

/// <summary>Which contact field's current value to prove: <c>email</c>, <c>phone</c> or <c>push</c>.</summary>
public sealed record ContactVerificationRequest([property: Required] string Field);

/// <summary>
/// A contact's proof was started: a code went to the new contact (<see cref="VerificationId"/>). <see cref="ConfirmWith"/>
/// says what else completes it: <c>none</c> (the subject's first verified contact), <c>verified-contact</c> (a second code
/// went to the contact verified so far: <see cref="ConfirmationId"/>) or <c>own-token</c> (the subject's own token).
/// </summary>
public sealed record ContactVerificationStarted(Guid VerificationId, string Field, DateTimeOffset ExpiresAt, Guid? ConfirmationId, string ConfirmWith);

/// <summary>The code sent to the new contact and, for a change confirmed through the verified contact, the code sent there.</summary>
public sealed record VerifyContactRequest(Guid VerificationId, [property: Required] string Code, Guid? ConfirmationId, string? ConfirmationCode);

/// <summary>The contact field whose value is now the subject's verified contact for its channel; never the value itself.</summary>
public sealed record VerifiedContactView(string SubjectId, string Field, string Channel, DateTimeOffset VerifiedAt);

/// <summary>Subjects whose contacts the notification service needs for the notices it is about to send.</summary>
public sealed record ContactsLookupRequest([property: Required] IReadOnlyList<string>? SubjectIds);

/// <summary>One subject's answer: <c>found</c> (with channels and language), <c>unknown</c> or <c>erased</c>.</summary>
public sealed record SubjectContactsEntry(string SubjectId, string Status, string? Language, IReadOnlyList<ContactChannel> Channels);

public sealed record ContactsLookupResponse(IReadOnlyList<SubjectContactsEntry> Subjects);

/// <summary>
/// Fields of one category to store. <c>legalBasis</c> is required, never defaulted: <c>consent</c>, <c>contract</c> (the
/// only one for delivery data) or one of IWK-1.3's grounds. A non-consent basis names in <c>purposes</c> the catalogue purposes it covers (required, never
/// defaulted): a read for any other purpose needs the subject's consent. With consent, <c>purposes</c> is not sent.
/// </summary>
public sealed record StoreRequest(string? Category, string? Source, string? LegalBasis, Dictionary<string, string>? Fields, List<string>? Purposes);

public sealed record StoreResponse(string SubjectId, string Category, IReadOnlyDictionary<string, string> Tokens);

public sealed record ProfileRequest(bool IsMinor, string? GuardianSubjectId);

public sealed record ProfileResponse(string SubjectId, bool IsMinor, string? GuardianSubjectId);

public sealed record LookupRequest(string? Field, string? Value);

public sealed record LookupMatch(string SubjectId, string Token);

public sealed record LookupResponse(IReadOnlyList<LookupMatch> Matches);

public sealed record DetokenizeRequest(List<string>? Tokens, string? Purpose, string? ProcessorId, Guid? ApprovalId);

public sealed record ValueView(string Token, string SubjectId, string Category, string Field, string Value, string Source, string LegalBasis);

public sealed record DetokenizeResponse(IReadOnlyList<ValueView> Values);

public sealed record ProcessorRequest(string? ProcessorId, string? Name, List<string>? Purposes);

public sealed record ProcessorView(string ProcessorId, string Name, IReadOnlyList<string> Purposes, DateTimeOffset RegisteredAt);

public sealed record ApprovalRequest(string? SubjectId, string? Category, string? Purpose, string? Accessor);

public sealed record ApprovalView(Guid ApprovalId, string SubjectId, string Category, string Purpose, string Accessor, DateTimeOffset ExpiresAt);

public sealed record AccessLogView(long Position, DateTimeOffset At, string Action, string Outcome, string? SubjectId, string Accessor,
    string? Purpose, string? Category, string? ProcessorId, string? Detail, string Hash);

public sealed record AccessLogPage(IReadOnlyList<AccessLogView> Entries, long? Next);

public sealed record DisclosureRequest(string? Authority, string? LegalReference, string? Basis, List<string>? Categories, bool NotifySubject, string? WithholdingReason);

public sealed record DisclosureResponse(Guid DisclosureId, bool SubjectNotified, IReadOnlyList<ValueView> Values);

public sealed record RotationResponse(int KekVersion, int Rewrapped);

/// <summary>The minor whose guardian the subject of the route confirms to be.</summary>
public sealed record GuardianVerificationRequest([property: Required, RegularExpression(SubjectId.Pattern)] string MinorSubjectId);

/// <summary>A code went to the guardian's verified contacts; it confirms the guardianship of <see cref="MinorSubjectId"/> only.</summary>
public sealed record GuardianVerificationStarted(Guid VerificationId, string GuardianId, string MinorSubjectId, DateTimeOffset ExpiresAt);

/// <summary>The guardian's code, and the pair it must have been started for.</summary>
public sealed record GuardianshipRedemption(
    [property: Required, RegularExpression(SubjectId.Pattern)] string GuardianId,
    [property: Required, RegularExpression(SubjectId.Pattern)] string MinorSubjectId,
    [property: Required, RegularExpression("^[0-9]{4,10}$")] string Code);

/// <summary>The guardian proved control of their verified contact for this minor's guardianship; the code is spent.</summary>
public sealed record GuardianshipVerified(Guid VerificationId, string GuardianId, string MinorSubjectId);

/// <summary>Subjects an incident names one by one, to be checked against the vault before anyone is told.</summary>
public sealed record KnownSubjectsRequest([property: Required] IReadOnlyList<string>? SubjectIds);

/// <summary>The named subjects the vault has a record of (<see cref="Known"/>) and those it has never held (<see cref="Unknown"/>), each in id order.</summary>
public sealed record KnownSubjectsResponse(IReadOnlyList<string> Known, IReadOnlyList<string> Unknown);

public sealed record ContactChannel(string Channel, string Address);

public sealed record ContactsResponse(string? Language, IReadOnlyList<ContactChannel> Channels);

public sealed record AffectedResponse(IReadOnlyList<string> SubjectIds, string? Next);

/// <summary>
/// A one-time code for the notification service to send now, with where it goes: the channels in the order to try, and
/// the subject's language. Handed out once; the vault keeps only the code's keyed hash. Not to be sent after
/// <see cref="ExpiresAt"/>, nor stored.
/// </summary>
public sealed record CodeDelivery(Guid VerificationId, string Code, DateTimeOffset ExpiresAt, string? Language, IReadOnlyList<ContactChannel> Channels);

/// <summary>The contact a person signs in with: <c>field</c> <c>email</c> or <c>phone</c>, and the address or number typed.</summary>
public sealed record SignInRequest([property: Required] string Field, [property: Required] string Value);

/// <summary>
/// A sign-in was accepted: redeem the code with <see cref="SignInId"/> before <see cref="ExpiresAt"/>. The same answer
/// whether or not the address is a verified contact; only if it is does a code go to it.
/// </summary>
public sealed record SignInAccepted(Guid SignInId, DateTimeOffset ExpiresAt);

/// <summary>The code sent to the contact signed in with.</summary>
public sealed record SignInRedemption([property: Required] string Code);

/// <summary>The person proved to be <see cref="SubjectId"/>: the privacy centre mints their own token (role <c>subject</c>) for it.</summary>
public sealed record SignedInView(string SubjectId, DateTimeOffset SignedInAt);

/// <summary>
/// One subject-rights request as the operators' queue shows it: by subject id only, never a code or data. Open means
/// the subject has not yet verified it with the code and it has not expired; completed means it was carried out.
/// </summary>
public sealed record SubjectRequestView(Guid Id, string SubjectId, string Request, string State, DateTimeOffset StartedAt, DateTimeOffset ExpiresAt, DateTimeOffset? CompletedAt, int Attempts,
    DateTimeOffset? ApprovedAt = null, string? ApprovedBy = null);

public sealed record VerificationRequest(string? Request);

public sealed record VerificationStarted(Guid VerificationId, string Request, DateTimeOffset ExpiresAt);

public sealed record VerifiedRequest(Guid VerificationId, string? Code);

public sealed record RectificationRequest(Guid VerificationId, string? Code, string? Category, Dictionary<string, string>? Fields, string? Reason);

public sealed record ErasureRequest(Guid VerificationId, string? Code, string? Reason);

public sealed record CategoryData(string Category, string Source, string LegalBasis, IReadOnlyDictionary<string, string> Fields, DateTimeOffset UpdatedAt);

public sealed record SubjectData(string SubjectId, IReadOnlyList<CategoryData> Categories);

public sealed record SubjectExport(string Format, string SubjectId, DateTimeOffset ExportedAt, IReadOnlyList<ValueView> Values);

public sealed record RectificationDone(string SubjectId, string Category, IReadOnlyDictionary<string, string> Tokens);

public sealed record ErasureDone(string SubjectId, Guid DeletionCertificateId, DateTimeOffset ErasedAt);

/// <summary>Who read or acted on the subject's data: when, who, what, how it ended, for which purpose and category.</summary>
public sealed record SubjectAccessLogEntry(long Position, DateTimeOffset At, string Accessor, string Action, string Outcome, string? Purpose, string? Category);

/// <summary>A page of the subject's access log, newest first; <see cref="Next"/> is the <c>before</c> of the next page, null at the end.</summary>
public sealed record SubjectAccessLogPage(IReadOnlyList<SubjectAccessLogEntry> Entries, long? Next);

/// <summary>
/// One of the subject's rights requests. <see cref="State"/>: <c>open</c> (waiting for the code), <c>approved</c> (open, and
/// approved by a privacy officer), <c>done</c> (the code was redeemed and the request answered, at <see cref="DoneAt"/>)
/// or <c>expired</c>.
/// </summary>
public sealed record SubjectRequestSummary(Guid Id, string Request, DateTimeOffset StartedAt, DateTimeOffset ExpiresAt, string State, DateTimeOffset? DoneAt);

public sealed record TransferBasisRequest(string? DestinationCountry, string? Recipient, string? Mechanism, string? Reference);

public sealed record TransferBasisView(Guid BasisId, string DestinationCountry, string Recipient, string Mechanism, string Reference, DateTimeOffset RecordedAt);

public sealed record TransferRequest(string? DestinationCountry, string? Recipient, string? Purpose, List<string>? Categories);

public sealed record TransferResponse(string SubjectId, string DestinationCountry, string Recipient, IReadOnlyList<ValueView> Values);
