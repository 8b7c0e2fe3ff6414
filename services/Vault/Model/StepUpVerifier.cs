using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// Checks a caller's step-up token, the second factor of a read of a sensitive category (IWK-2.2): an ES256 JSON Web
/// Token of type <see cref="Type"/> that the caller signed with the step-up key registered with its API key
/// (<see cref="ApiKeyEntry.StepUpKey"/>), naming the caller as <c>iss</c>, the vault as <c>aud</c>, the read's purpose,
/// and living at most <see cref="MaxLifetime"/>. PrivacySuite.Client's <c>StepUpToken</c> makes them.
/// A token once verified is remembered until it expires, so a backend reusing one pays for its signature once; the
/// memory is bounded and forgotten whenever the configured keys change.
/// </summary>
public sealed class StepUpVerifier
{
    public const string Header = "X-Step-Up";
    public const string Type = "privacysuite-step-up+jwt";
    public const string Audience = "privacysuite-vault";
    public const string PurposeClaim = "purpose";

    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(10);

    private const int MaxTokenLength = 2048;
    private const int MaxRemembered = 10_000;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    private readonly IOptionsMonitor<SuiteAuthOptions> _auth;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Verified> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ECDsaSecurityKey?> _keys = new(StringComparer.Ordinal);

    public StepUpVerifier(IOptionsMonitor<SuiteAuthOptions> auth, TimeProvider time)
    {
        _auth = auth;
        _time = time;
        auth.OnChange(_ =>
        {
            _verified.Clear();
            _keys.Clear();
        });
    }

    private sealed record Verified(string Caller, string Purpose, DateTimeOffset Expires);

    /// <summary>Null when <paramref name="token"/> is a good second factor of <paramref name="caller"/> for <paramref name="purpose"/>; otherwise why not.</summary>
    public async ValueTask<string?> RefusalAsync(string token, string caller, string purpose)
    {
        var now = _time.GetUtcNow();
        if (_verified.TryGetValue(token, out var known))
        {
            return known.Expires <= now ? "it has expired"
                : known.Caller != caller ? "it was signed for another caller"
                : known.Purpose != purpose ? $"it is for another purpose than '{purpose}'"
                : null;
        }

        if (token.Length is 0 or > MaxTokenLength)
        {
            return $"a step-up token is 1-{MaxTokenLength} characters";
        }

        var entry = _auth.CurrentValue.ApiKeys.FirstOrDefault(k => k.Name == caller);
        if (entry is not { StepUpKey.Length: > 0 } || _keys.GetOrAdd(entry.StepUpKey, SuiteTokens.ReadPublicKey) is not { } key)
        {
            return "this caller has no step-up key registered (PrivacySuite:Auth:ApiKeys:N:StepUpKey)";
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = caller,
            ValidAudience = Audience,
            ValidTypes = [Type],
            ValidAlgorithms = [SuiteTokens.Algorithm],
            IssuerSigningKey = key,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // The service's own clock (tests move it), not the machine's.
            LifetimeValidator = (_, expires, _, _) => expires is { } end && end > now.UtcDateTime - SuiteTokens.ClockSkew,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "it has expired",
                SecurityTokenInvalidIssuerException => "it was signed for another caller",
                SecurityTokenInvalidAudienceException => $"its audience is not '{Audience}'",
                SecurityTokenInvalidTypeException => $"its type is not '{Type}'",
                _ => "its signature does not verify with the caller's step-up key, or it is not an ES256 JSON Web Token",
            };
        }

        var issuedAt = new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero);
        var expiresAt = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        if (jwt.IssuedAt == DateTime.MinValue || issuedAt > now + SuiteTokens.ClockSkew || expiresAt - issuedAt > MaxLifetime)
        {
            return $"it must carry iat, not in the future, and live at most {MaxLifetime.TotalMinutes} minutes";
        }

        if (!jwt.TryGetPayloadValue<string>(PurposeClaim, out var tokenPurpose) || string.IsNullOrEmpty(tokenPurpose))
        {
            return "it names no purpose";
        }

        if (_verified.Count >= MaxRemembered)
        {
            foreach (var (stale, _) in _verified.Where(v => v.Value.Expires <= now))
            {
                _verified.TryRemove(stale, out _);
            }

            if (_verified.Count >= MaxRemembered)
            {
                _verified.Clear();
            }
        }

        _verified[token] = new Verified(caller, tokenPurpose, expiresAt);
        return tokenPurpose == purpose ? null : $"it is for another purpose than '{purpose}'";
    }
}
