namespace PrivacySuite.Retention.Model;

/// <summary>What a retention verb did, or why it refused: a reason code for the caller to translate, a short title and a sentence that says the way out.</summary>
public abstract record Outcome<T>
{
    public sealed record Done(T Value) : Outcome<T>;

    public sealed record Refused(string Reason, string Title, string Detail) : Outcome<T>;
}

/// <summary>The reasons retention's verbs refuse for.</summary>
public static class RefusalReasons
{
    /// <summary>The request contradicts itself or names nothing.</summary>
    public const string Invalid = "invalid";

    /// <summary>A rule of the law or of the suite forbids it (a period too long, a date too soon).</summary>
    public const string NotAllowed = "not-allowed";

    /// <summary>The thing it acts on does not exist.</summary>
    public const string NotFound = "not-found";

    /// <summary>It was done already, or the state forbids it now.</summary>
    public const string Conflict = "conflict";
}
