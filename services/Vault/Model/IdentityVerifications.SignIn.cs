namespace PrivacySuite.Vault.Model;

/// <summary>A sign-in's answer, alike whether or not a code went anywhere: the id to redeem and when it expires.</summary>
public sealed record SignInStarted(Guid SignInId, DateTimeOffset ExpiresAt);

/// <summary>A redeemed sign-in: whose it is. The privacy centre mints the person's own token for this subject.</summary>
public sealed record SignedIn(string SubjectId, DateTimeOffset SignedInAt);

/// <summary>
/// Sign-in to the privacy centre (INF-6.3, issue 20): a person types an e-mail address or a phone number, and a code goes
/// to it if, and only if, it is the current verified contact of that field of exactly one subject. Nobody learns from the
/// answers whether an address is known: a start always answers an id and an expiry, and every failed redemption the same
/// refusal. The code is made, sent, counted and spent as every other code is.
/// </summary>
public sealed partial class IdentityVerifications
{
    public const string SignIn = "sign-in";

    /// <summary>The one detail of every refused redemption: an unknown id, a wrong, expired or spent code, too many attempts.</summary>
    public const string SignInRefusedDetail = "The sign-in was refused: the code is wrong, expired or used, or the sign-in is unknown. Ask for a new code with POST /v1/sign-in.";

    /// <summary>
    /// Starts a sign-in with <paramref name="value"/> of <paramref name="field"/> (email or phone). Only when its lookup
    /// token is a contact value whose verified copy is current (same token, same version), of one readable subject, is a
    /// verification stored and its notice requested; otherwise a random id with the same lifetime is answered and nothing
    /// is written. The address is never stored, logged or kept in the verification: its token and version are.
    /// </summary>
    public async Task<SignInStarted> StartSignInAsync(string field, string value, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var nobody = new SignInStarted(Guid.NewGuid(), now + options.Value.VerificationLifetime);
        if (vault.LookupFor(field, value) is not { } lookup)
        {
            return nobody;
        }

        var owners = await db.Values.AsNoTracking()
            .Where(v => v.LookupToken == lookup && v.Category == Categories.Contact && v.Field == field)
            .Join(db.VerifiedContacts.AsNoTracking(),
                v => new { v.SubjectId, v.Field, v.Token, v.Version },
                c => new { c.SubjectId, c.Field, Token = c.SourceToken, Version = c.SourceVersion },
                (v, _) => v)
            .Take(2).ToListAsync(ct);
        if (owners.Count > 1)
        {
            // A shared address proves no one in particular: no code, and the operators hear of it (without the address).
            Log.SignInAmbiguous(logger, field);
            return nobody;
        }

        if (owners is not [var contact])
        {
            return nobody;
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await UnreadableAsync(contact.SubjectId, ct) is not null)
        {
            return nobody;
        }

        var verification = New(contact.SubjectId, SignIn, field, contact.Version);
        verification.ContactToken = contact.Token;
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("verification", "allowed", contact.SubjectId, accessor, Category: Categories.Contact,
            Detail: $"request={SignIn};field={field}"));
        await tx.CommitAsync(ct);
        return new SignInStarted(verification.VerificationId, verification.ExpiresAt);
    }

    /// <summary>
    /// Redeems a sign-in's code: right, unexpired, unused, within the attempts, and the subject still readable. A wrong code
    /// counts an attempt; the code is spent once. Every attempt on a sign-in that exists is logged (never the code); every
    /// refusal is the same 401 <c>sign-in-refused</c>, whatever the cause, which only the access log names.
    /// </summary>
    public async Task<Outcome<SignedIn>> RedeemSignInAsync(Guid signInId, string code, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var verification = await LockAsync(signInId, ct);
        if (verification is not { Request: SignIn })
        {
            // Nothing to count or log: no sign-in has this id (another kind of verification is not one either).
            return RefuseSignIn();
        }

        var failure = Check(verification, code, now);
        if (failure is null && await UnreadableAsync(verification.SubjectId, ct) is { } unreadable)
        {
            failure = unreadable.Reason;
        }

        if (failure is null)
        {
            verification.UsedAt = now;
        }

        // The attempt counts even when refused: saved and logged in one transaction.
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord(SignIn, failure is null ? "allowed" : "denied", verification.SubjectId, accessor,
            Category: Categories.Contact, Detail: $"verification={signInId};field={verification.ContactField}" + (failure is null ? "" : $";reason={failure}")));
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return failure is null ? new SignedIn(verification.SubjectId, now) : RefuseSignIn();
    }

    private static Refusal RefuseSignIn() => new(401, SignInRefusedDetail, "sign-in-refused");
}
