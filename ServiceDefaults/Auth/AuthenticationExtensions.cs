using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace PrivacySuite.ServiceDefaults.Auth;

public static class AuthenticationExtensions
{
    public const string ApiKeyHeader = "X-Api-Key";
    private const string SuiteScheme = "Suite";

    public static TBuilder AddSuiteAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<SuiteAuthOptions>().BindConfiguration(SuiteAuthOptions.SectionName)
            .Validate(o => o.SigningKey.Length == 0 || SigningKeyBytes(o).Length >= 32,
                "PrivacySuite:Auth:SigningKey must be base64 of at least 32 bytes.")
            .ValidateOnStart();

        builder.Services.AddSingleton<SuiteCredentials>();
        builder.Services.AddTransient<SuiteAuthenticationHandler>();
        builder.Services.AddAuthentication(o =>
        {
            o.AddScheme<SuiteAuthenticationHandler>(SuiteScheme, "API key or bearer token");
            o.DefaultScheme = SuiteScheme;
        });

        builder.Services.AddAuthorizationBuilder()
            // Secure by default: an endpoint that forgets to say who may call it still needs a caller.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>
    /// Requires one of the given roles (and so an authenticated caller). The policy names no scheme: the default (and
    /// only) scheme has already authenticated the request, and naming it would authenticate it a second time.
    /// </summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder endpoints, params string[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireAuthorization(policy => policy.RequireRole(roles));

    internal static byte[] SigningKeyBytes(SuiteAuthOptions options)
    {
        try
        {
            return Convert.FromBase64String(options.SigningKey);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    internal static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>
/// The one scheme of every service: an <c>X-Api-Key</c> header (product backends) or a bearer token (people and services).
/// A bare <see cref="IAuthenticationHandler"/> rather than two <c>AuthenticationHandler&lt;T&gt;</c> behind a policy scheme:
/// product backends call the consent check on their hot path, and the forwarding, per-request loggers and option look-ups
/// of the framework's base classes cost as much as the check itself (measured with perf, docs/benchmarks.md).
/// </summary>
internal sealed class SuiteAuthenticationHandler(SuiteCredentials credentials, TimeProvider time) : IAuthenticationHandler
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
    public Task<AuthenticateResult> AuthenticateAsync() => _result ??= Task.FromResult(Authenticate());

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

    private AuthenticateResult Authenticate()
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

        var key = credentials.SigningKey;
        return key.Length > 0 && BearerTokens.Validate(key, authorization["Bearer ".Length..].Trim(), time.GetUtcNow()) is { } claims
            ? Success(claims.Subject, claims.Roles)
            : AuthenticateResult.Fail("Invalid or expired bearer token.");
    }

    private AuthenticateResult Success(string name, IEnumerable<string> roles)
    {
        var identity = new ClaimsIdentity(_scheme.Name);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, name));
        foreach (var role in roles)
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), _scheme.Name));
    }
}

/// <summary>The configured API keys and signing key in the form a request compares against, rebuilt when configuration changes.</summary>
internal sealed class SuiteCredentials
{
    private const int MaxApiKeyLength = 256;
    private volatile Snapshot _current;

    public SuiteCredentials(IOptionsMonitor<SuiteAuthOptions> options)
    {
        _current = new Snapshot(options.CurrentValue);
        options.OnChange(o => _current = new Snapshot(o));
    }

    public byte[] SigningKey => _current.SigningKey;

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
        public byte[] SigningKey { get; } = AuthenticationExtensions.SigningKeyBytes(options);

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
