using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace PrivacySuite.ServiceDefaults.Auth;

public static class AuthenticationExtensions
{
    public const string ApiKeyScheme = "ApiKey";
    public const string BearerScheme = "Bearer";
    public const string ApiKeyHeader = "X-Api-Key";
    private const string SuiteScheme = "Suite";

    public static TBuilder AddSuiteAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<SuiteAuthOptions>().BindConfiguration(SuiteAuthOptions.SectionName)
            .Validate(o => o.SigningKey.Length == 0 || SigningKeyBytes(o).Length >= 32,
                "PrivacySuite:Auth:SigningKey must be base64 of at least 32 bytes.")
            .ValidateOnStart();

        builder.Services.AddAuthentication(SuiteScheme)
            .AddPolicyScheme(SuiteScheme, "API key or bearer token", o =>
                o.ForwardDefaultSelector = ctx => ctx.Request.Headers.ContainsKey(ApiKeyHeader) ? ApiKeyScheme : BearerScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyScheme, null)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerScheme, null);

        builder.Services.AddAuthorizationBuilder()
            // Secure by default: an endpoint that forgets to say who may call it still needs a caller.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(SuiteScheme).RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>Requires one of the given roles (and so an authenticated caller).</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder endpoints, params string[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireAuthorization(policy => policy.AddAuthenticationSchemes(SuiteScheme).RequireRole(roles));

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

internal sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<SuiteAuthOptions> suiteAuth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[AuthenticationExtensions.ApiKeyHeader].ToString();
        if (presented.Length is 0 or > 256)
        {
            return Task.FromResult(AuthenticateResult.Fail("Missing or oversized API key."));
        }

        var hash = Encoding.ASCII.GetBytes(AuthenticationExtensions.Sha256Hex(presented));
        foreach (var entry in suiteAuth.CurrentValue.ApiKeys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(entry.Sha256.ToLowerInvariant())))
            {
                var identity = new ClaimsIdentity(
                    [new Claim(ClaimTypes.NameIdentifier, entry.Name), new Claim(ClaimTypes.Role, entry.Role)],
                    Scheme.Name);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
    }
}

internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<SuiteAuthOptions> suiteAuth,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var key = AuthenticationExtensions.SigningKeyBytes(suiteAuth.CurrentValue);
        if (key.Length == 0 || BearerTokens.Validate(key, header["Bearer ".Length..].Trim(), time.GetUtcNow()) is not { } claims)
        {
            return Task.FromResult(AuthenticateResult.Fail("Invalid or expired bearer token."));
        }

        var identity = new ClaimsIdentity(Scheme.Name);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, claims.Subject));
        foreach (var role in claims.Roles)
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}
