using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>The contact fields a code can go to, and the notification channel each one is.</summary>
public static class ContactFields
{
    public static readonly IReadOnlyList<(string Field, string Channel)> Channels = [("email", "email"), ("phone", "sms"), ("push", "push")];

    public static bool IsKnown(string? field) => Channels.Any(c => c.Field == field);

    public static string ChannelOf(string field) => Channels.Single(c => c.Field == field).Channel;
}

/// <summary>Where a released code goes: the subject's language and the channels, in the order they are tried.</summary>
public sealed record CodeRelease(Guid VerificationId, string Code, DateTimeOffset ExpiresAt, string? Language, IReadOnlyList<(string Channel, string Address)> Channels);

/// <summary>
/// A contact's proof was started: the code to the new contact, and the one to the verified contact when the change needs
/// it. <see cref="ConfirmWith"/>: <c>none</c> (a first contact), <c>verified-contact</c> or <c>own-token</c>.
/// </summary>
public sealed record ContactProofStarted(Verification Proof, Verification? Confirmation, string ConfirmWith);

/// <summary>
/// Identity verification (INF-6.3, issue 18.4): the codes that gate subject requests and the contacts they go to.
/// <list type="bullet">
/// <item>A code goes only to a verified contact: one the subject proved control of with a code sent to it. A change of
/// contact is also confirmed through the contact verified so far (a second code) or the subject's own token.</item>
/// <item>No code is stored or sent in an event: the notification service fetches it by the verification's id
/// (<see cref="ReleaseAsync"/>), which makes it, keeps its keyed hash, and hands it out once, before it expires.</item>
/// <item>Access and export of data of the highest protection level need the subject's own token or an officer's
/// approval recorded on the request, on top of the code (IWK-2.2).</item>
/// <item>A guardian confirms guardianship of one minor with a code sent to the guardian's own verified contacts
/// (IWK-3.1); the consent service redeems it when it records the guardian's consent.</item>
/// <item>A guardian acting for a minor in the privacy centre asks for the minor's rights requests with codes sent to the
/// guardian's own verified contacts, redeemable by that guardian only.</item>
/// <item>A person signs in to the privacy centre with a code sent to the one verified contact they typed
/// (IdentityVerifications.SignIn.cs).</item>
/// </list>
/// </summary>
public sealed partial class IdentityVerifications(
    VaultDbContext db,
    VaultService vault,
    Keyring keyring,
    AccessLogBook accessLog,
    MacKeys macs,
    IOptions<VaultOptions> options,
    TimeProvider time,
    ILogger<IdentityVerifications> logger)
{
    public const string Contact = "contact";
    public const string ContactConfirmation = "contact-confirmation";
    public const string Guardianship = "guardianship";

    /// <summary>The rights requests a code is asked for; the ones that hand data out are <see cref="Disclosing"/>.</summary>
    public static readonly IReadOnlySet<string> Requests = new HashSet<string> { "access", "export", "rectification", "erasure" };

    public static readonly IReadOnlySet<string> Disclosing = new HashSet<string> { "access", "export" };

    private static readonly string[] HighCategories = [.. Categories.Levels.Where(l => l.Value == ProtectionLevel.High).Select(l => l.Key)];

    /// <summary>
    /// Starts a rights request: a code will go to the subject's verified contacts, and nowhere else; or, when a guardian
    /// acts for the subject (<paramref name="guardianId"/>, IWK-3.1), to the guardian's, who alone redeems it.
    /// </summary>
    public Task<Outcome<Verification>> StartAsync(string subjectId, string request, string? guardianId, string accessor, CancellationToken ct) =>
        StartCodeAsync(subjectId, request, null, guardianId, accessor, ct);

    /// <summary>
    /// Starts a guardian's confirmation that they are <paramref name="minorSubjectId"/>'s guardian (IWK-3.1): a code goes to
    /// the guardian's verified contacts, and redeems the guardianship of that minor only. Whether the guardian is an adult
    /// is the consent service's to decide (it holds the ages) when the code is redeemed with the guardian's consent.
    /// </summary>
    public Task<Outcome<Verification>> StartGuardianshipAsync(string guardianId, string minorSubjectId, string accessor, CancellationToken ct) =>
        guardianId == minorSubjectId
            ? Task.FromResult(Refuse<Verification>(422, "guardian-is-subject", "A minor cannot be their own guardian: the guardian is another person."))
            : StartCodeAsync(guardianId, Guardianship, minorSubjectId, null, accessor, ct);

    private async Task<Outcome<Verification>> StartCodeAsync(string subjectId, string request, string? minorSubjectId, string? guardianId, string accessor,
        CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await UnreadableAsync(subjectId, ct) is { } unreadable)
        {
            return Refuse<Verification>(unreadable.Status, unreadable.Reason, unreadable.Detail);
        }

        var recipient = guardianId ?? subjectId;
        if (!await db.VerifiedContacts.AnyAsync(c => c.SubjectId == recipient, ct))
        {
            return guardianId is null
                ? Refuse<Verification>(409, "no-verified-contact",
                    "The subject has no verified contact to send a code to: verify one first with POST /v1/subjects/{subjectId}/contact-verifications.")
                : Refuse<Verification>(409, "no-verified-contact",
                    "The guardian has no verified contact to send the code to: the guardian verifies one of their own first.");
        }

        var verification = New(subjectId, request, null, null, minorSubjectId, guardianId);
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("verification", "allowed", subjectId, accessor,
            Detail: $"request={request}" + Minor(minorSubjectId) + (guardianId is null ? "" : ";code-to=guardian")));
        await tx.CommitAsync(ct);
        return new Outcome<Verification>.Done(verification);
    }

    /// <summary>
    /// Starts the proof of the value the contact field <paramref name="field"/> holds now: a code goes to it. When the
    /// subject already has a verified contact, the change also needs a second code, sent there, unless the subject's own
    /// token (<paramref name="subjectAuthenticated"/>) confirms it when the proof is completed.
    /// </summary>
    public async Task<Outcome<ContactProofStarted>> StartContactAsync(string subjectId, string field, bool subjectAuthenticated, string accessor, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await UnreadableAsync(subjectId, ct) is { } unreadable)
        {
            return Refuse<ContactProofStarted>(unreadable.Status, unreadable.Reason, unreadable.Detail);
        }

        var value = await ContactValueAsync(subjectId, field, ct);
        if (value is null)
        {
            return Refuse<ContactProofStarted>(404, "no-contact",
                "The subject has no value in this contact field: store it first (POST /v1/subjects/{subjectId}/data, category contact).");
        }

        var verified = await db.VerifiedContacts.AsNoTracking().Where(c => c.SubjectId == subjectId).ToListAsync(ct);
        if (verified.Any(c => c.Field == field && c.SourceToken == value.Token && c.SourceVersion == value.Version))
        {
            return Refuse<ContactProofStarted>(409, "already-verified", "This contact value is already the subject's verified contact.");
        }

        var proof = New(subjectId, Contact, field, value.Version);
        var confirmation = verified.Count > 0 && !subjectAuthenticated ? New(subjectId, ContactConfirmation, field, value.Version) : null;
        var confirmWith = verified.Count == 0 ? "none" : confirmation is null ? "own-token" : "verified-contact";
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("verification", "allowed", subjectId, accessor, Category: Categories.Contact,
            Detail: $"request=contact;field={field};confirm={confirmWith}"));
        await tx.CommitAsync(ct);
        return new Outcome<ContactProofStarted>.Done(new ContactProofStarted(proof, confirmation, confirmWith));
    }

    /// <summary>
    /// Makes the code of a verification and hands it to the notification service with where it goes: the new contact
    /// for a contact's proof, the verified contact typed for a sign-in, the verified contacts for everything else. Once
    /// only, and never after the verification expired or was used; only the code's keyed hash stays. The contacts are
    /// read as a notification's are (logged).
    /// </summary>
    public async Task<Outcome<CodeRelease>> ReleaseAsync(Guid verificationId, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var verification = await LockAsync(verificationId, ct);
        if (verification is null)
        {
            return Refuse<CodeRelease>(404, "unknown-verification", "No such verification.");
        }

        if (verification.UsedAt is not null || verification.ExpiresAt <= now || verification.CodeHash is not null)
        {
            var why = verification.UsedAt is not null ? "verification-used" : verification.ExpiresAt <= now ? "verification-expired" : "code-released";
            return Refuse<CodeRelease>(410, why, "This verification's code can no longer be sent: the subject asks for a new one.");
        }

        // A guardian's request for a minor goes to the guardian; every other code to the subject of the verification.
        var recipient = verification.GuardianId ?? verification.SubjectId;
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(x => x.SubjectId == recipient, ct);
        var rows = new List<(string Channel, PersonalValue Row)>();
        if (verification.Request == Contact)
        {
            var value = await ContactValueAsync(verification.SubjectId, verification.ContactField!, ct);
            if (value is null || value.Version != verification.ContactVersion)
            {
                return Refuse<CodeRelease>(409, "contact-changed", "The contact being proven changed after the proof was started: start it again.");
            }

            rows.Add((ContactFields.ChannelOf(value.Field), value));
        }
        else if (verification.Request == SignIn)
        {
            // The contact typed and nowhere else, and only while it is still the copy verified then: another address
            // verified since would receive a code asked for by whoever typed the first one.
            var typed = await db.VerifiedContacts.AsNoTracking().SingleOrDefaultAsync(c => c.SubjectId == verification.SubjectId &&
                c.Field == verification.ContactField && c.SourceToken == verification.ContactToken && c.SourceVersion == verification.ContactVersion, ct);
            if (typed is null)
            {
                return Refuse<CodeRelease>(409, "contact-changed", "The contact signed in with is no longer the verified one: the person signs in again.");
            }

            rows.Add((ContactFields.ChannelOf(typed.Field), AsValue(typed)));
        }
        else
        {
            var verified = await db.VerifiedContacts.AsNoTracking().Where(c => c.SubjectId == recipient).ToListAsync(ct);
            rows.AddRange(ContactFields.Channels.SelectMany(c => verified.Where(v => v.Field == c.Field).Select(v => (c.Channel, AsValue(v)))));
            if (rows.Count == 0)
            {
                return Refuse<CodeRelease>(409, "no-verified-contact", "The subject has no verified contact to send the code to.");
            }
        }

        var language = await db.Values.AsNoTracking()
            .SingleOrDefaultAsync(v => v.SubjectId == recipient && v.Category == Categories.Contact && v.Field == "language", ct);
        List<ClearValue> clear;
        try
        {
            clear = subject?.WrappedKey is null
                ? throw new SubjectErasedException()
                : vault.Decrypt([.. rows.Select(r => r.Row), .. language is null ? [] : new[] { language }], new Dictionary<string, Subject> { [subject.SubjectId] = subject });
        }
        catch (SubjectErasedException)
        {
            return Refuse<CodeRelease>(410, "erased", "The subject was erased; there is no one to send a code to.");
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        verification.CodeHash = macs.CodeHash(verification.VerificationId, code);
        verification.ReleasedAt = now;
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("read", "allowed", recipient, accessor, "notification", Categories.Contact,
            Detail: $"verification={verification.VerificationId};request={verification.Request};fields={clear.Count}"));
        await tx.CommitAsync(ct);
        var channels = rows.Select((r, i) => (r.Channel, clear[i].Value)).ToList();
        return new Outcome<CodeRelease>.Done(new CodeRelease(verification.VerificationId, code, verification.ExpiresAt,
            language is null ? null : clear[^1].Value, channels));
    }

    /// <summary>
    /// Redeems the code of a rights request. A wrong code counts against the attempts; every check is logged. An access or
    /// export of a subject holding data of the highest protection level also needs <paramref name="subjectAuthenticated"/>
    /// or an officer's approval on the request: without either the code is not spent, so it still serves once approved.
    /// A request a guardian started redeems only for that guardian acting for the subject (<paramref name="guardianId"/>),
    /// and a subject's own only without one.
    /// </summary>
    public Task<(int Status, string Reason)?> RedeemAsync(string subjectId, string request, Guid verificationId, string? code,
        bool subjectAuthenticated, string? guardianId, string accessor, CancellationToken ct) =>
        RedeemCodeAsync(subjectId, request, null, guardianId, verificationId, code, subjectAuthenticated, accessor, ct);

    private async Task<(int Status, string Reason)?> RedeemCodeAsync(string subjectId, string request, string? minorSubjectId, string? guardianId,
        Guid verificationId, string? code, bool subjectAuthenticated, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var verification = await LockAsync(verificationId, ct);
        var failure = verification is null || verification.SubjectId != subjectId || verification.Request != request ||
                      verification.MinorSubjectId != minorSubjectId || verification.GuardianId != guardianId
            ? "unknown-verification"
            : Check(verification, code, now);
        if (failure is null && Disclosing.Contains(request) && !subjectAuthenticated && verification!.ApprovedAt is null &&
            await db.Values.AnyAsync(v => v.SubjectId == subjectId && HighCategories.Contains(v.Category), ct))
        {
            failure = "approval-required";
        }
        else if (failure is null)
        {
            verification!.UsedAt = now;
        }

        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("identity-check", failure is null ? "allowed" : "denied", subjectId, accessor,
            Detail: $"request={request}{Minor(minorSubjectId)};" + (failure ?? (subjectAuthenticated ? "verified;own-token" : verification!.ApprovedAt is not null ? "verified;approved" : "verified"))));
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return failure is null ? null : (403, failure);
    }

    /// <summary>
    /// Redeems a guardian's code for the guardianship of <paramref name="minorSubjectId"/>: the verification must be the
    /// guardian's, started for that minor, unexpired and unused, and the code right (a wrong one counts an attempt).
    /// </summary>
    public Task<(int Status, string Reason)?> RedeemGuardianshipAsync(string guardianId, string minorSubjectId, Guid verificationId, string code,
        string accessor, CancellationToken ct) =>
        RedeemCodeAsync(guardianId, Guardianship, minorSubjectId, null, verificationId, code, subjectAuthenticated: false, accessor, ct);

    /// <summary>
    /// Completes a contact's proof: the code sent to the new contact, and for a change also the code sent to the verified
    /// contact or the subject's own token. The value proven becomes the verified contact of its field.
    /// </summary>
    public async Task<Outcome<VerifiedContact>> VerifyContactAsync(string subjectId, Guid proofId, string? code, Guid? confirmationId, string? confirmationCode,
        bool subjectAuthenticated, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var proof = await LockAsync(proofId, ct);
        var failure = proof is null || proof.SubjectId != subjectId || proof.Request != Contact ? "unknown-verification" : Check(proof, code, now);
        var verified = await db.VerifiedContacts.Where(c => c.SubjectId == subjectId).ToListAsync(ct);
        var confirmedBy = verified.Count == 0 ? "first-contact" : subjectAuthenticated ? "own-token" : "verified-contact";
        Verification? confirmation = null;
        if (failure is null && confirmedBy == "verified-contact")
        {
            confirmation = confirmationId is { } id ? await LockAsync(id, ct) : null;
            failure = confirmation is null || confirmation.SubjectId != subjectId || confirmation.Request != ContactConfirmation ||
                      confirmation.ContactField != proof!.ContactField || confirmation.ContactVersion != proof.ContactVersion
                ? "confirmation-required"
                : Check(confirmation, confirmationCode, now);
        }

        var value = failure is null ? await ContactValueAsync(subjectId, proof!.ContactField!, ct) : null;
        if (failure is null && (value is null || value.Version != proof!.ContactVersion))
        {
            failure = "contact-changed";
        }

        VerifiedContact? contact = null;
        if (failure is null)
        {
            contact = verified.SingleOrDefault(c => c.Field == value!.Field);
            if (contact is null)
            {
                contact = new VerifiedContact { SubjectId = subjectId, Field = value!.Field };
                db.VerifiedContacts.Add(contact);
            }

            // The same ciphertext under the same AAD inputs as the value proven: a copy that decrypts as the value did.
            contact.SourceToken = value!.Token;
            contact.SourceVersion = value.Version;
            contact.KeyGeneration = value.KeyGeneration;
            contact.Nonce = value.Nonce;
            contact.Ciphertext = value.Ciphertext;
            contact.VerifiedAt = now;
            contact.VerifiedBy = accessor;
            proof!.UsedAt = now;
            confirmation?.UsedAt = now;
        }

        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("contact-verification", failure is null ? "allowed" : "denied", subjectId, accessor,
            Category: Categories.Contact, Detail: failure is null ? $"field={contact!.Field};confirmed-by={confirmedBy}" : $"reason={failure}"));
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return failure is null
            ? new Outcome<VerifiedContact>.Done(contact!)
            : Refuse<VerifiedContact>(failure == "contact-changed" ? 409 : 403, failure, failure switch
            {
                "confirmation-required" => "The subject already has a verified contact: the change needs the code sent there (confirmationId, confirmationCode) or the subject's own token.",
                "contact-changed" => "The contact being proven changed after the proof was started: start it again.",
                _ => "The contact was not verified: start a new proof with POST /v1/subjects/{subjectId}/contact-verifications.",
            });
    }

    /// <summary>Records a privacy officer's approval on an open access or export request (IWK-2.2).</summary>
    public async Task<Outcome<Verification>> ApproveAsync(Guid verificationId, string officer, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var verification = await LockAsync(verificationId, ct);
        if (verification is null || !Requests.Contains(verification.Request))
        {
            return Refuse<Verification>(404, "unknown-request", "No such subject request.");
        }

        if (!Disclosing.Contains(verification.Request))
        {
            return Refuse<Verification>(409, "nothing-to-approve", "Only an access or an export needs an approval.");
        }

        if (verification.UsedAt is not null || verification.ExpiresAt <= now)
        {
            return Refuse<Verification>(409, verification.UsedAt is not null ? "verification-used" : "verification-expired",
                "The request is no longer open: the subject starts a new one.");
        }

        if (verification.ApprovedAt is null)
        {
            verification.ApprovedAt = now;
            verification.ApprovedBy = officer;
            await db.SaveChangesAsync(ct);
            await accessLog.AppendAsync(db, ct, new AccessRecord("approval", "allowed", verification.SubjectId, officer,
                Detail: $"verification={verificationId};request={verification.Request}"));
        }

        await tx.CommitAsync(ct);
        return new Outcome<Verification>.Done(verification);
    }

    /// <summary>Why a code does not redeem <paramref name="verification"/>, or null; a wrong code counts an attempt.</summary>
    private string? Check(Verification verification, string? code, DateTimeOffset now)
    {
        string? failure = verification switch
        {
            { UsedAt: not null } => "verification-used",
            _ when verification.ExpiresAt <= now => "verification-expired",
            _ when verification.Attempts >= options.Value.VerificationAttempts => "too-many-attempts",
            // Never released: no code was made, so none is right.
            _ when verification.CodeHash is null || code is null || code.Length > 16 ||
                   !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(macs.CodeHash(verification.VerificationId, code)),
                       Encoding.ASCII.GetBytes(verification.CodeHash)) => "wrong-code",
            _ => null,
        };
        if (failure is "wrong-code")
        {
            verification.Attempts++;
        }

        return failure;
    }

    private Verification New(string subjectId, string request, string? field, int? version, string? minorSubjectId = null, string? guardianId = null)
    {
        var now = time.GetUtcNow();
        var verification = new Verification
        {
            VerificationId = Guid.NewGuid(),
            SubjectId = subjectId,
            Request = request,
            CreatedAt = now,
            ExpiresAt = now + options.Value.VerificationLifetime,
            ContactField = field,
            ContactVersion = version,
            MinorSubjectId = minorSubjectId,
            GuardianId = guardianId,
        };
        db.Verifications.Add(verification);
        // A reference, never the code: the notification service fetches the code and its contacts when it sends. A
        // guardian's notice says what the code confirms, so that nobody gives it away for something else.
        var noticeType = request == Guardianship ? NoticeTypes.GuardianVerificationCode : NoticeTypes.VerificationCode;
        db.AddIntegrationEvent(new NoticeRequested(verification.VerificationId, noticeType, guardianId ?? subjectId,
            NoticeVariables.VerificationCode(verification.VerificationId), now), now);
        return verification;
    }

    private static string Minor(string? minorSubjectId) => minorSubjectId is null ? "" : $";minor={minorSubjectId}";

    private Task<Verification?> LockAsync(Guid verificationId, CancellationToken ct) =>
        db.Verifications.FromSql($"select * from verifications where verification_id = {verificationId} for update").SingleOrDefaultAsync(ct);

    private Task<PersonalValue?> ContactValueAsync(string subjectId, string field, CancellationToken ct) =>
        db.Values.AsNoTracking().SingleOrDefaultAsync(v => v.SubjectId == subjectId && v.Category == Categories.Contact && v.Field == field, ct);

    /// <summary>A verified contact as the value it was copied from, for decryption.</summary>
    private static PersonalValue AsValue(VerifiedContact c) => new()
    {
        Token = c.SourceToken,
        SubjectId = c.SubjectId,
        Category = Categories.Contact,
        Field = c.Field,
        Version = c.SourceVersion,
        KeyGeneration = c.KeyGeneration,
        Nonce = c.Nonce,
        Ciphertext = c.Ciphertext,
    };

    /// <summary>Why no code can be started for the subject (unknown, or erased), or null when its data is readable.</summary>
    private async Task<(int Status, string Reason, string Detail)?> UnreadableAsync(string subjectId, CancellationToken ct)
    {
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(x => x.SubjectId == subjectId, ct);
        return subject?.WrappedKey is null ? (404, "unknown-subject", "The vault holds no readable data for this subject.")
            : keyring.KeyFileGone(subject) ? (410, "erased", "The subject's data was erased.")
            : null;
    }

    private static Outcome<T> Refuse<T>(int status, string reason, string detail) => new Refusal(status, detail, reason);
}
