using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>The claims of a validated suite token.</summary>
public sealed record TokenClaims(string Subject, string[] Roles);

/// <summary>
/// The suite's bearer tokens: ES256 JSON Web Tokens with <c>iss</c>, <c>aud</c>, <c>sub</c>, <c>roles</c>, <c>iat</c> and
/// <c>exp</c>, issued and checked by Microsoft.IdentityModel. Signing needs a private key; services hold only public
/// keys, except their own service key, whose tokens pass only as the role <see cref="SuiteRoles.Service"/>.
/// </summary>
public static class SuiteTokens
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;
    public const string SubjectClaim = "sub";
    public const string RolesClaim = "roles";

    /// <summary>How far apart two machines' clocks may be.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };

    /// <summary>The actor claim (RFC 8693): who acts for the token's subject, as <c>{"sub": id}</c>.</summary>
    public const string ActorClaim = "act";

    public static string Issue(ECDsaSecurityKey privateKey, string issuer, string audience, string subject, IEnumerable<string> roles,
        DateTimeOffset now, TimeSpan lifetime, string? actor = null)
    {
        var claims = new Dictionary<string, object> { [SubjectClaim] = subject, [RolesClaim] = roles.ToArray() };
        if (actor is not null)
        {
            claims[ActorClaim] = new Dictionary<string, object> { [SubjectClaim] = actor };
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            Expires = now.Add(lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(privateKey, Algorithm),
        });
    }

    /// <summary>The <c>sub</c> of an <c>act</c> claim's JSON, or null when there is none or it is not one.</summary>
    internal static string? ActorOf(string? actClaim)
    {
        if (string.IsNullOrEmpty(actClaim))
        {
            return null;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(actClaim);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object &&
                   json.RootElement.TryGetProperty(SubjectClaim, out var sub) && sub.ValueKind == System.Text.Json.JsonValueKind.String &&
                   sub.GetString() is { Length: > 0 } id
                ? id
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// What a token must be: signed with ES256 by <paramref name="key"/> (read per token, so a changed configuration takes
    /// effect), from <paramref name="issuer"/>, for <paramref name="audience"/>, and unexpired by <paramref name="time"/>.
    /// </summary>
    public static TokenValidationParameters ValidationParameters(string issuer, string audience, Func<SecurityKey?> key, TimeProvider time) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = audience,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidAlgorithms = [Algorithm],
        IssuerSigningKeyResolver = (_, _, _, _) => key() is { } k ? [k] : [],
        // The service's own clock (tests move it), not the machine's.
        LifetimeValidator = (notBefore, expires, _, _) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return expires is { } end && end > now - ClockSkew && (notBefore is not { } start || start <= now + ClockSkew);
        },
        NameClaimType = SubjectClaim,
        RoleClaimType = RolesClaim,
    };

    /// <summary>Validates outside an HTTP pipeline (stand-ins of other services in tests and benchmarks).</summary>
    public static async Task<TokenClaims?> ValidateAsync(string token, TokenValidationParameters parameters)
    {
        var result = await Handler.ValidateTokenAsync(token, parameters);
        return result.IsValid && result.ClaimsIdentity.FindFirst(SubjectClaim)?.Value is { Length: > 0 } subject
            ? new TokenClaims(subject, [.. result.ClaimsIdentity.FindAll(RolesClaim).Select(c => c.Value)])
            : null;
    }

    /// <summary>The unverified <c>iss</c> of a token, only to choose which keys to check it with.</summary>
    internal static string? PeekIssuer(string token)
    {
        try
        {
            return Handler.CanReadToken(token) ? new JsonWebToken(token).Issuer : null;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }

    /// <summary>A new P-256 key pair: base64 PKCS#8 private key and base64 SubjectPublicKeyInfo public key.</summary>
    public static (string PrivateKey, string PublicKey) NewKeyPair()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey()), Convert.ToBase64String(ecdsa.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>The base64 SubjectPublicKeyInfo of a base64 PKCS#8 private key.</summary>
    public static string PublicKeyOf(string privateKey)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
        return Convert.ToBase64String(ecdsa.ExportSubjectPublicKeyInfo());
    }

    /// <summary>A P-256 public key from base64 SubjectPublicKeyInfo; null when empty or not such a key.</summary>
    public static ECDsaSecurityKey? ReadPublicKey(string base64) => Read(base64, (ecdsa, bytes) => ecdsa.ImportSubjectPublicKeyInfo(bytes, out _));

    /// <summary>A P-256 private key from base64 PKCS#8; null when empty or not such a key.</summary>
    public static ECDsaSecurityKey? ReadPrivateKey(string base64) => Read(base64, (ecdsa, bytes) => ecdsa.ImportPkcs8PrivateKey(bytes, out _));

    private static ECDsaSecurityKey? Read(string base64, Action<ECDsa, byte[]> import)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var ecdsa = ECDsa.Create();
        try
        {
            import(ecdsa, Convert.FromBase64String(base64));
            if (ecdsa.KeySize == 256)
            {
                return new ECDsaSecurityKey(ecdsa);
            }
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
        }

        ecdsa.Dispose();
        return null;
    }
}
