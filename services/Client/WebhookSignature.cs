using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PrivacySuite.Client;

/// <summary>
/// The signature of a PrivacySuite webhook: <c>v1=</c> and the lower-case hex HMAC-SHA256, keyed with the endpoint's
/// secret (its text, as the registration answered it), of <c>"{timestamp}.{body}"</c>, where the timestamp is the
/// <c>PrivacySuite-Webhook-Timestamp</c> header (unix seconds) and the body is the request body exactly as received.
/// The suite signs with this class too, so sender and receiver cannot drift apart.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "PrivacySuite-Webhook-Id";
    public const string TimestampHeader = "PrivacySuite-Webhook-Timestamp";
    public const string SignatureHeader = "PrivacySuite-Webhook-Signature";
    private const string Version = "v1=";

    /// <summary>How far a timestamp may be from the receiver's clock: a captured request replayed later is refused.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The signature header's value for <paramref name="body"/> sent at <paramref name="timestamp"/> (unix seconds).</summary>
    public static string Sign(string secret, long timestamp, string body) =>
        Version + Convert.ToHexStringLower(Mac(secret, timestamp.ToString(CultureInfo.InvariantCulture), body));

    /// <summary>
    /// Whether a received webhook is genuine and fresh: the timestamp is within <paramref name="tolerance"/> of
    /// <paramref name="now"/>, and one of the header's <c>v1=</c> signatures (comma-separated) matches, compared in
    /// constant time. Any malformed input is false, never an exception.
    /// </summary>
    public static bool Verify(string secret, string? timestamp, string body, string? signature, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(signature) || timestamp is not { Length: > 0 and <= 12 } ||
            !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        if (age.Duration() > tolerance)
        {
            return false;
        }

        var expected = Mac(secret, timestamp, body);
        var matched = false;
        foreach (var part in signature.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith(Version, StringComparison.Ordinal) && part.Length == Version.Length + expected.Length * 2 &&
                TryHex(part.AsSpan(Version.Length), out var given))
            {
                matched |= CryptographicOperations.FixedTimeEquals(expected, given);
            }
        }

        return matched;
    }

    /// <summary><see cref="Verify(string, string?, string, string?, DateTimeOffset, TimeSpan)"/> with the default tolerance and the system clock.</summary>
    public static bool Verify(string secret, string? timestamp, string body, string? signature) =>
        Verify(secret, timestamp, body, signature, DateTimeOffset.UtcNow, DefaultTolerance);

    private static byte[] Mac(string secret, string timestamp, string body) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));

    private static bool TryHex(ReadOnlySpan<char> hex, out byte[] bytes)
    {
        bytes = new byte[hex.Length / 2];
        return Convert.FromHexString(hex, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == bytes.Length;
    }
}
