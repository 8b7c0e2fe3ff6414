namespace PrivacySuite.Vault.Model;

/// <summary>
/// Protection levels (IWK-2.2): reads of <see cref="High"/> need the caller's second factor and the subject's separate
/// consent, or an officer's approval of the one read, on top of purpose and consent.
/// </summary>
public enum ProtectionLevel
{
    Low,
    Medium,
    High,
}

/// <summary>The vault's data categories (INF-1.1 to INF-1.3) and the rules that hang on them.</summary>
public static class Categories
{
    public const string Identity = "identity";
    public const string Contact = "contact";
    public const string Device = "device";
    public const string Usage = "usage";
    public const string Location = "location";
    public const string Delivery = "delivery";

    /// <summary>Identity documents and location tracks are sensitive under PIPL Art. 28 (<see cref="SensitiveCategories"/>): they get the highest level.</summary>
    public static readonly IReadOnlyDictionary<string, ProtectionLevel> Levels = new Dictionary<string, ProtectionLevel>
    {
        [Identity] = ProtectionLevel.High,
        [Contact] = ProtectionLevel.Medium,
        [Device] = ProtectionLevel.Low,
        [Usage] = ProtectionLevel.Low,
        [Location] = ProtectionLevel.High,
        [Delivery] = ProtectionLevel.Medium,
    };

    public static bool IsKnown(string? category) => category is not null && Levels.ContainsKey(category);

    public static readonly IReadOnlySet<string> Sources = new HashSet<string> { "provided", "collected" };
}

/// <summary>Legal bases as the API spells them (IWK-1.3's list), mapped to the shared enum.</summary>
public static class LegalBases
{
    public const string Consent = "consent";
    public const string Contract = "contract";

    private static readonly Dictionary<string, LegalBasis> Names = new()
    {
        [Consent] = LegalBasis.Consent,
        [Contract] = LegalBasis.ContractNecessity,
        ["national-security"] = LegalBasis.NationalSecurity,
        ["public-safety"] = LegalBasis.PublicSafety,
        ["criminal-investigation"] = LegalBasis.CriminalInvestigation,
        ["vital-interests"] = LegalBasis.VitalInterests,
        ["self-published"] = LegalBasis.SelfPublished,
        ["lawfully-public"] = LegalBasis.LawfullyPublic,
        ["safe-operation"] = LegalBasis.SafeOperation,
        ["news-reporting"] = LegalBasis.NewsReporting,
        ["deidentified-research"] = LegalBasis.DeidentifiedResearch,
    };

    /// <summary>The grounds on which an authority may demand a disclosure (INF-5.4).</summary>
    public static readonly IReadOnlySet<string> Disclosure = new HashSet<string> { "national-security", "public-safety", "criminal-investigation" };

    public static bool IsKnown(string? basis) => basis is not null && Names.ContainsKey(basis);

    /// <summary>
    /// Whether the value's own legal basis carries a read for <paramref name="purpose"/>: a non-consent basis, recorded for
    /// that purpose. Anything else (consent, or a basis recorded for other purposes) needs the consent decision.
    /// </summary>
    public static bool Covers(PersonalValue value, string purpose) =>
        value.LegalBasis != Consent && Array.IndexOf(value.BasisPurposes, purpose) >= 0;
}
