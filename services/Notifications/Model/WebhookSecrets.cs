using System.Security.Cryptography;
using System.Text;

namespace PrivacySuite.Notifications.Model;

/// <summary>
/// The endpoints' signing secrets: made here (32 random bytes, hex), shown to the caller once, and kept sealed with
/// AES-GCM under <see cref="WebhookOptions.SecretKey"/>. The endpoint id is the associated data, so a sealed secret
/// copied onto another endpoint's row does not open.
/// </summary>
public sealed class WebhookSecrets(IOptions<WebhookOptions> options)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public byte[] Seal(Guid endpointId, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(), TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), endpointId.ToByteArray());
        return sealedBytes;
    }

    /// <summary>The secret; a <see cref="CryptographicException"/> when it was sealed under another key or altered.</summary>
    public string Open(Guid endpointId, byte[] sealedBytes)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The sealed secret is too short.");
        }

        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(Key(), TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plain, endpointId.ToByteArray());
        return Encoding.UTF8.GetString(plain);
    }

    private byte[] Key() => Convert.FromHexString(options.Value.SecretKey);
}
