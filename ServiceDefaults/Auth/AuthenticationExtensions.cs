using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;

namespace PrivacySuite.ServiceDefaults.Auth;

public static class AuthenticationExtensions
{
    public const string ApiKeyHeader = "X-Api-Key";
    private const string SuiteScheme = "Suite";

    /// <summary>JwtBearer scheme for people's tokens: the people issuer's public key, any role but <see cref="SuiteRoles.Service"/>.</summary>
    public const string PersonScheme = "PersonBearer";

    /// <summary>JwtBearer scheme for service tokens: the service key, and the role <see cref="SuiteRoles.Service"/> only.</summary>
    public const string ServiceScheme = "ServiceBearer";

    /// <summary>JwtBearer scheme for the privacy centre's tokens: the centre's key, and the role <see cref="SuiteRoles.Subject"/> only.</summary>
    public const string PrivacyCentreScheme = "PrivacyCentreBearer";

    public static TBuilder AddSuiteAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<SuiteAuthOptions>().BindConfiguration(SuiteAuthOptions.SectionName)
            .Validate(o => o.IssuerKey.Length == 0 || SuiteTokens.ReadPublicKey(o.IssuerKey) is not null,
                "PrivacySuite:Auth:IssuerKey must be the base64 SubjectPublicKeyInfo of a P-256 (ES256) public key.")
            .Validate(o => o.IssuerKey.Length == 0 || !string.IsNullOrWhiteSpace(o.Issuer),
                "PrivacySuite:Auth:Issuer must name the issuer of people's tokens when IssuerKey is set.")
            .Validate(o => o.SigningKey.Length == 0 || SuiteTokens.ReadPrivateKey(o.SigningKey) is not null,
                "PrivacySuite:Auth:SigningKey must be the base64 PKCS#8 of a P-256 (ES256) private key.")
            .Validate(o => o.ServiceKey.Length == 0 || SuiteTokens.ReadPublicKey(o.ServiceKey) is not null,
                "PrivacySuite:Auth:ServiceKey must be the base64 SubjectPublicKeyInfo of a P-256 (ES256) public key.")
            .Validate(o => o.PrivacyCentreKey.Length == 0 || SuiteTokens.ReadPublicKey(o.PrivacyCentreKey) is not null,
                "PrivacySuite:Auth:PrivacyCentreKey must be the base64 SubjectPublicKeyInfo of a P-256 (ES256) public key.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Audience), "PrivacySuite:Auth:Audience must not be empty.")
            .Validate(o => o.ApiKeys.All(k => k.StepUpKey.Length == 0 || SuiteTokens.ReadPublicKey(k.StepUpKey) is not null),
                "PrivacySuite:Auth:ApiKeys:N:StepUpKey must be the base64 SubjectPublicKeyInfo of a P-256 (ES256) public key.")
            .ValidateOnStart();

        builder.Services.AddSingleton<SuiteCredentials>();
        builder.Services.AddTransient<SuiteAuthenticationHandler>();
        builder.Services.AddAuthentication(o =>
            {
                o.AddScheme<SuiteAuthenticationHandler>(SuiteScheme, "API key or bearer token");
                o.DefaultScheme = SuiteScheme;
            })
            .AddJwtBearer(PersonScheme, o => o.MapInboundClaims = false)
            .AddJwtBearer(ServiceScheme, o => o.MapInboundClaims = false)
            .AddJwtBearer(PrivacyCentreScheme, o => o.MapInboundClaims = false);
        builder.Services.AddOptions<JwtBearerOptions>(PersonScheme).Configure<SuiteCredentials, IOptions<SuiteAuthOptions>, TimeProvider>(
            (o, credentials, auth, time) => o.TokenValidationParameters = SuiteTokens.ValidationParameters(
                auth.Value.Issuer, auth.Value.Audience, () => credentials.IssuerKey, time));
        builder.Services.AddOptions<JwtBearerOptions>(ServiceScheme).Configure<SuiteCredentials, IOptions<SuiteAuthOptions>, TimeProvider>(
            (o, credentials, auth, time) => o.TokenValidationParameters = SuiteTokens.ValidationParameters(
                SuiteAuthOptions.ServiceIssuer, auth.Value.Audience, () => credentials.ServiceKey, time));
        builder.Services.AddOptions<JwtBearerOptions>(PrivacyCentreScheme).Configure<SuiteCredentials, IOptions<SuiteAuthOptions>, TimeProvider>(
            (o, credentials, auth, time) => o.TokenValidationParameters = SuiteTokens.ValidationParameters(
                SuiteAuthOptions.PrivacyCentreIssuer, auth.Value.Audience, () => credentials.PrivacyCentreKey, time));

        builder.Services.AddAuthorizationBuilder()
            // Secure by default: an endpoint that forgets to say who may call it still needs a caller.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>
    /// Requires one of the given roles (and so an authenticated caller). The policy names no scheme: the default
    /// scheme has already authenticated the request, and naming it would authenticate it a second time.
    /// </summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder endpoints, params string[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireAuthorization(policy => policy.RequireRole(roles));

    internal static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>
/// The one scheme of every service: an <c>X-Api-Key</c> header (product backends) or a bearer token (people and services),
/// whose signature, issuer, audience and lifetime the JwtBearer schemes check.
/// A bare <see cref="IAuthenticationHandler"/> rather than two <c>AuthenticationHandler&lt;T&gt;</c> behind a policy scheme:
/// product backends call the consent check on their hot path, and the forwarding, per-request loggers and option look-ups
/// of the framework's base classes cost as much as the check itself (measured with perf, docs/benchmarks.md).
/// </summary>
internal sealed class SuiteAuthenticationHandler(SuiteCredentials credentials) : IAuthenticationHandler
{
    private HttpContext _context = null!;
    private AuthenticationScheme _scheme = null!;
    private Task<AuthenticateResult>? _result;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _scheme = scheme;
        _context = context;
        return Task.CompletedTask;
    }

    // The middleware and then authorization may both ask within one request: answer once.
    public Task<AuthenticateResult> AuthenticateAsync() => _result ??= AuthenticateCoreAsync();

    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private async Task<AuthenticateResult> AuthenticateCoreAsync()
    {
        var headers = _context.Request.Headers;
        if (headers.TryGetValue(AuthenticationExtensions.ApiKeyHeader, out var apiKey))
        {
            return credentials.FindApiKey(apiKey.ToString()) is { } entry
                ? Success(entry.Name, [entry.Role])
                : AuthenticateResult.Fail("Unknown, missing or oversized API key.");
        }

        var authorization = headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // The issuer only chooses the scheme; each scheme then requires its own issuer and key.
        var issuer = SuiteTokens.PeekIssuer(authorization["Bearer ".Length..].Trim());
        var scheme = issuer switch
        {
            SuiteAuthOptions.ServiceIssuer => AuthenticationExtensions.ServiceScheme,
            SuiteAuthOptions.PrivacyCentreIssuer => AuthenticationExtensions.PrivacyCentreScheme,
            _ => AuthenticationExtensions.PersonScheme,
        };
        var result = await _context.AuthenticateAsync(scheme);
        if (!result.Succeeded || result.Principal.FindFirst(SuiteTokens.SubjectClaim)?.Value is not { Length: > 0 } subject)
        {
            return AuthenticateResult.Fail("Invalid or expired bearer token.");
        }

        var roles = result.Principal.FindAll(SuiteTokens.RolesClaim).Select(c => c.Value).ToArray();
        return scheme switch
        {
            // A service key signs service tokens and nothing else: any other role in one is a forgery.
            AuthenticationExtensions.ServiceScheme => roles.Length > 0 && roles.All(r => r == SuiteRoles.Service)
                ? Success(subject, [SuiteRoles.Service])
                : AuthenticateResult.Fail("A service token carries the role service and no other."),
            // The privacy centre signs in the people whose data the suite holds, and nobody else; a guardian acting for
            // a minor is named in the token's act claim, and audits record the guardian.
            AuthenticationExtensions.PrivacyCentreScheme => roles.Length > 0 && roles.All(r => r == SuiteRoles.Subject)
                ? Success(subject, [SuiteRoles.Subject], result.Principal.FindFirst(SuiteTokens.ActorClaim) is { } act
                    ? SuiteTokens.ActorOf(act.Value) ?? "" : null)
                : AuthenticateResult.Fail("A privacy centre token carries the role subject and no other."),
            _ => roles.Contains(SuiteRoles.Service)
                ? AuthenticateResult.Fail("A person's token cannot carry the role service.")
                : Success(subject, roles),
        };
    }

    private AuthenticateResult Success(string name, IEnumerable<string> roles, string? actor = null)
    {
        if (actor is "")
        {
            return AuthenticateResult.Fail("The token's act claim names nobody.");
        }

        var identity = new ClaimsIdentity(_scheme.Name);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, name));
        if (actor is not null)
        {
            identity.AddClaim(new Claim(Callers.ActorClaim, actor));
        }

        foreach (var role in roles)
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), _scheme.Name));
    }
}

/// <summary>The configured API keys and token keys in the form a request compares against, rebuilt when configuration changes.</summary>
internal sealed class SuiteCredentials
{
    private const int MaxApiKeyLength = 256;
    private volatile Snapshot _current;

    public SuiteCredentials(IOptionsMonitor<SuiteAuthOptions> options)
    {
        _current = new Snapshot(options.CurrentValue);
        options.OnChange(o => _current = new Snapshot(o));
    }

    /// <summary>The people issuer's public key, or null when none is configured (every person's token is then refused).</summary>
    public SecurityKey? IssuerKey => _current.IssuerKey;

    /// <summary>The public key service tokens are checked with.</summary>
    public SecurityKey? ServiceKey => _current.ServiceKey;

    /// <summary>The privacy centre's public key, or null when none is configured (its tokens are then refused).</summary>
    public SecurityKey? PrivacyCentreKey => _current.PrivacyCentreKey;

    /// <summary>This service's own private key for its service tokens, or null when it has none.</summary>
    public ECDsaSecurityKey? ServiceSigningKey => _current.ServiceSigningKey;

    public string Audience => _current.Audience;

    /// <summary>The entry whose hash matches the presented key, compared in constant time against every entry.</summary>
    public ApiKeyEntry? FindApiKey(string presented)
    {
        if (presented.Length is 0 or > MaxApiKeyLength)
        {
            return null;
        }

        var current = _current;
        // A key already verified is found without hashing it again (SHA-256 was 4% of the consent check's CPU). Only
        // verified keys are remembered, so the map holds at most the configured keys and says nothing of wrong ones.
        if (current.Verified.TryGetValue(presented, out var verified))
        {
            return verified;
        }

        Span<byte> utf8 = stackalloc byte[MaxApiKeyLength * 3];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(presented, utf8)], hash);
        ApiKeyEntry? found = null;
        foreach (var (entryHash, entry) in current.ApiKeys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, entryHash))
            {
                found = entry;
            }
        }

        if (found is not null && current.Verified.Count < current.ApiKeys.Length)
        {
            current.Verified.TryAdd(presented, found);
        }

        return found;
    }

    private sealed class Snapshot(SuiteAuthOptions options)
    {
        public SecurityKey? IssuerKey { get; } = SuiteTokens.ReadPublicKey(options.IssuerKey);

        public ECDsaSecurityKey? ServiceSigningKey { get; } = SuiteTokens.ReadPrivateKey(options.SigningKey);

        public SecurityKey? PrivacyCentreKey { get; } = SuiteTokens.ReadPublicKey(options.PrivacyCentreKey);

        public SecurityKey? ServiceKey { get; } = SuiteTokens.ReadPublicKey(
            options.ServiceKey.Length > 0 || options.SigningKey.Length == 0 ? options.ServiceKey : SafePublicKeyOf(options.SigningKey));

        public string Audience { get; } = options.Audience;

        private static string SafePublicKeyOf(string privateKey)
        {
            try
            {
                return SuiteTokens.PublicKeyOf(privateKey);
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                return "";
            }
        }

        public (byte[] Hash, ApiKeyEntry Entry)[] ApiKeys { get; } = options.ApiKeys
            .Select(e => (HashBytes(e.Sha256), e)).Where(e => e.Item1.Length == SHA256.HashSizeInBytes).ToArray();

        /// <summary>Presented keys that matched an entry, while this configuration stands.</summary>
        public ConcurrentDictionary<string, ApiKeyEntry> Verified { get; } = new(StringComparer.Ordinal);

        private static byte[] HashBytes(string hex)
        {
            try
            {
                return Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                return [];
            }
        }
    }
}
