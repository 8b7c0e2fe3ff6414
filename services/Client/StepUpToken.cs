using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PrivacySuite.Client;

/// <summary>
/// The second factor a product backend shows the vault before it reads a sensitive category (identity, location): a
/// short-lived ES256 JSON Web Token it signs itself, with the private half of the step-up key registered with its API
/// key (<c>PrivacySuite:Auth:ApiKeys:N:StepUpKey</c> holds the public half). The token names the caller (<c>iss</c>, the
/// API key's name), the vault (<c>aud</c>) and the one purpose it is good for; send it in the <see cref="Header"/> header
/// of <c>POST /v1/detokenize</c> with the API key. A stolen API key alone reads no sensitive data, nor does a token alone.
/// </summary>
public static class StepUpToken
{
    public const string Header = "X-Step-Up";
    public const string Type = "privacysuite-step-up+jwt";
    public const string Audience = "privacysuite-vault";

    /// <summary>The longest lifetime the vault accepts; reuse one token for many reads within it.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A token for <paramref name="caller"/> (the API key's name) and <paramref name="purpose"/>, signed with
    /// <paramref name="privateKey"/> (base64 PKCS#8, P-256), valid from <paramref name="now"/> for <paramref name="lifetime"/>
    /// (at most <see cref="MaxLifetime"/>; 5 minutes when not given).
    /// </summary>
    public static string Create(string caller, string privateKey, string purpose, DateTimeOffset now, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(caller);
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        var span = lifetime ?? TimeSpan.FromMinutes(5);
        if (span <= TimeSpan.Zero || span > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), $"A step-up token lives at most {MaxLifetime.TotalMinutes} minutes.");
        }

        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
        if (ecdsa.KeySize != 256)
        {
            throw new ArgumentException("The step-up key is a P-256 key.", nameof(privateKey));
        }

        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "ES256", ["typ"] = Type }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = caller,
            ["aud"] = Audience,
            ["purpose"] = purpose,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.Add(span).ToUnixTimeSeconds(),
        }));
        var signature = ecdsa.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// Gives <see cref="VaultClient"/> a step-up token for each read: one per purpose, signed with the backend's step-up key,
/// reused until a minute before it expires (the vault checks a token's signature once). Registered by
/// <see cref="VaultClientServiceCollectionExtensions.AddPrivacySuiteVaultClient"/> when <see cref="VaultClientOptions.StepUpKey"/> is set.
/// </summary>
public sealed class StepUpSigner(string caller, string privateKey, TimeProvider? time = null)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset RenewAt)> _tokens = new(StringComparer.Ordinal);

    public string TokenFor(string purpose)
    {
        var now = _time.GetUtcNow();
        if (_tokens.TryGetValue(purpose, out var kept) && kept.RenewAt > now)
        {
            return kept.Token;
        }

        var token = StepUpToken.Create(caller, privateKey, purpose, now, Lifetime);
        _tokens[purpose] = (token, now + Lifetime - RenewBefore);
        return token;
    }
}
