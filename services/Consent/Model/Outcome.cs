namespace PrivacySuite.Consent.Model;

/// <summary>What a consent verb did, or why it refused.</summary>
public abstract record Outcome<T>
{
    public sealed record Done(T Value) : Outcome<T>;

    public sealed record Refused(Refusal Why) : Outcome<T>;

    public static implicit operator Outcome<T>(Refusal why) => new Refused(why);

    public static implicit operator Outcome<T>(T value) => new Done(value);
}

/// <summary>
/// Why a verb refused, as the caller is told: the status class of the refusal (400 a malformed or contradictory ask,
/// naming its <see cref="Field"/>; 404 nothing to act on; 409 the state forbids it; 422 a rule forbids it; 503 try
/// again), a sentence that says the way out, a stable <see cref="Reason"/> code where callers branch on one, and what
/// else they need to act (<see cref="Extensions"/>).
/// </summary>
public sealed record Refusal(int Status, string Detail, string? Reason = null, IReadOnlyDictionary<string, object?>? Extensions = null, string? Field = null)
{
    public static Refusal Invalid(string field, string detail) => new(400, detail, Field: field);

    public static Refusal NotFound(string detail) => new(404, detail);

    public static Refusal Conflict(string detail, IReadOnlyDictionary<string, object?>? extensions = null) => new(409, detail, Extensions: extensions);

    public static Refusal Unprocessable(string detail, string? reason = null) => new(422, detail, reason);

    /// <summary>A grant's guardian refused (422, with the vault's reason when it refused the code) or not verifiable now (503).</summary>
    public static Refusal Guardian(GuardianRefusal refusal) => new(refusal.Status, refusal.Detail, refusal.Reason,
        refusal.VerificationFailure is { } failure ? new Dictionary<string, object?> { ["verificationFailure"] = failure } : null);
}
