using System.Security.Claims;

namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>Who is calling, as every service records it (an actor, a placer of a hold, an accessor in the access log).</summary>
public static class Callers
{
    /// <summary>
    /// The person acting for the token's subject, when it is not the subject: a guardian acting for a minor at the
    /// privacy centre (the token's <c>act</c> claim, RFC 8693).
    /// </summary>
    public const string ActorClaim = "privacysuite:actor";

    /// <summary>
    /// Who acts, as audits record it: a person's token subject (or the guardian acting for them, <see cref="ActorClaim"/>),
    /// a product backend's key name, a service's name. Every scheme the suite accepts sets it; "unknown" only for a
    /// principal that did not authenticate. Whose data a person may name is the token's subject, not this.
    /// </summary>
    public static string CallerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ActorClaim) ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";
}

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

/// <summary>
/// Configuration section <c>PrivacySuite:Auth</c>. Secrets arrive as environment variables, as Aspire passes secret
/// parameters. A service holds public keys to check tokens with, and only its own service key to sign with: no key
/// that could mint a person's token.
/// </summary>
public sealed class SuiteAuthOptions
{
    public const string SectionName = "PrivacySuite:Auth";

    /// <summary>The issuer of every service token; a token from it only ever carries the role <see cref="SuiteRoles.Service"/>.</summary>
    public const string ServiceIssuer = "privacysuite-services";

    /// <summary>
    /// The issuer of the tokens the privacy centre mints for the people who sign in there with a one-time code; a token
    /// from it only ever carries the role <see cref="SuiteRoles.Subject"/>, for the one subject it names.
    /// </summary>
    public const string PrivacyCentreIssuer = "privacysuite-privacy-centre";

    /// <summary>The issuer of people's tokens (<c>iss</c>).</summary>
    public string Issuer { get; set; } = "";

    /// <summary>Base64 SubjectPublicKeyInfo of the people issuer's ES256 (P-256) public key.</summary>
    public string IssuerKey { get; set; } = "";

    /// <summary>
    /// Base64 SubjectPublicKeyInfo of the privacy centre's ES256 (P-256) public key, which its subjects' tokens are checked
    /// with (<see cref="PrivacyCentreIssuer"/>). Empty: no such token is accepted.
    /// </summary>
    public string PrivacyCentreKey { get; set; } = "";

    /// <summary>The audience (<c>aud</c>) every token must name: the suite.</summary>
    public string Audience { get; set; } = "privacysuite";

    /// <summary>
    /// Base64 PKCS#8 ES256 (P-256) private key this service signs its own service tokens with (<see cref="ServiceIssuer"/>,
    /// role <see cref="SuiteRoles.Service"/> only). Empty for a service that calls no other.
    /// </summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Base64 SubjectPublicKeyInfo that service tokens are checked with; derived from <see cref="SigningKey"/> when empty.</summary>
    public string ServiceKey { get; set; } = "";

    /// <summary>Known API keys, by SHA-256 hash: the keys themselves are never configured.</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];
}

public sealed class ApiKeyEntry
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = SuiteRoles.ProductBackend;

    /// <summary>Lower-case hex SHA-256 of the key.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>
    /// Base64 SubjectPublicKeyInfo of the P-256 key this caller signs its step-up tokens with: the second factor the vault
    /// asks for before it reads a sensitive category (IWK-2.2). Empty for a caller that never reads one.
    /// </summary>
    public string StepUpKey { get; set; } = "";
}
