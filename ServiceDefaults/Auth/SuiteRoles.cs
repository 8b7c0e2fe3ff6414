namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>The roles of ARCHITECTURE.md. Product backends authenticate with API keys, people with bearer tokens.</summary>
public static class SuiteRoles
{
    public const string ProductBackend = "product-backend";
    public const string Operator = "operator";
    public const string OnCall = "on-call";
    public const string PrivacyOfficer = "privacy-officer";
    public const string Subject = "subject";

    /// <summary>Another PrivacySuite service calling on its own behalf (see <see cref="ServiceIdentityExtensions"/>).</summary>
    public const string Service = "service";

    /// <summary>The roles of callers from outside the suite.</summary>
    public static readonly IReadOnlyList<string> All = [ProductBackend, Operator, OnCall, PrivacyOfficer, Subject];
}

/// <summary>Configuration section <c>PrivacySuite:Auth</c>. Secrets arrive as environment variables, as Aspire passes secret parameters.</summary>
public sealed class SuiteAuthOptions
{
    public const string SectionName = "PrivacySuite:Auth";

    /// <summary>Base64 HMAC-SHA256 key that signs bearer tokens (at least 32 bytes).</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Known API keys, by SHA-256 hash: the keys themselves are never configured.</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    public const string Issuer = "privacysuite";
}

public sealed class ApiKeyEntry
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = SuiteRoles.ProductBackend;

    /// <summary>Lower-case hex SHA-256 of the key.</summary>
    public string Sha256 { get; set; } = "";
}
