using System.Text.Json.Serialization;

namespace PrivacySuite.Contracts;

/// <summary>The two regions of the suite. Both sit in the CN jurisdiction.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Region>))]
public enum Region
{
    Beijing,
    Guangzhou,
}

/// <summary>Categories of personal data the vault keeps (INF-1.1 to INF-1.3). Customer business data is never one of them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataCategory>))]
public enum DataCategory
{
    Identity,
    Contact,
    Device,
    Usage,
    Location,
    Delivery,
}

/// <summary>
/// The categories that are sensitive personal information (PIPL Art. 28: identity documents, location tracks). Processing
/// them needs the subject's separate consent (Art. 29), given for each purpose on its own; the vault reads them only
/// with that consent and a second factor of the caller, or a privacy officer's approval of one read (IWK-2.2).
/// </summary>
public static class SensitiveCategories
{
    public static readonly IReadOnlySet<DataCategory> All = new HashSet<DataCategory> { DataCategory.Identity, DataCategory.Location };
}

/// <summary>The legal grounds for processing: consent, or one of IWK-1.3's listed exceptions.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LegalBasis>))]
public enum LegalBasis
{
    Consent,
    NationalSecurity,
    PublicSafety,
    CriminalInvestigation,
    VitalInterests,
    SelfPublished,
    LawfullyPublic,
    ContractNecessity,
    SafeOperation,
    NewsReporting,
    DeidentifiedResearch,
}

/// <summary>
/// The patterns of the ids the suite's APIs take, in one place so that a caller that checks first (the privacy centre)
/// checks what the service does.
/// </summary>
public static class IdPatterns
{
    /// <summary>An opaque id (a subject's, a policy's): letters, digits and <c>. _ : -</c>, 1 to 64 of them.</summary>
    public const string Opaque = "^[A-Za-z0-9._:-]{1,64}$";

    /// <summary>A policy version: letters, digits and <c>. _ -</c>, 1 to 32 of them.</summary>
    public const string PolicyVersion = "^[A-Za-z0-9._-]{1,32}$";
}

/// <summary>
/// An opaque subject identifier chosen by the product backend. It must not be personal data itself
/// (no e-mail, phone or name), so it is limited to a short token alphabet.
/// </summary>
public readonly record struct SubjectId
{
    public const int MaxLength = 64;

    /// <summary>The same rule as a regular expression, for request schemas (OpenAPI) that validate before a handler runs.</summary>
    public const string Pattern = IdPatterns.Opaque;

    public string Value { get; }

    private SubjectId(string value) => Value = value;

    public static bool TryParse(string? value, out SubjectId subjectId)
    {
        subjectId = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        subjectId = new SubjectId(value);
        return true;
    }

    public override string ToString() => Value;
}

/// <summary>A purpose code from the consent catalogue, such as <c>service.provide</c>.</summary>
public readonly record struct PurposeCode
{
    public const int MaxLength = 64;

    /// <summary>The same rule as a regular expression, for request schemas (OpenAPI) that validate before a handler runs.</summary>
    public const string Pattern = "^[a-z0-9._-]{1,64}$";

    public string Value { get; }

    private PurposeCode(string value) => Value = value;

    public static bool TryParse(string? value, out PurposeCode purpose)
    {
        purpose = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }

        purpose = new PurposeCode(value);
        return true;
    }

    public override string ToString() => Value;
}
