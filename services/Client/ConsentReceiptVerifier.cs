using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PrivacySuite.Client;

/// <summary>Verifies a consent receipt (compact JWS, ES256) offline against the keys published at <c>/v1/receipts/keys</c>.</summary>
public static class ConsentReceiptVerifier
{
    /// <summary>True when the receipt is signed by one of <paramref name="keys"/>; then <paramref name="payload"/> holds its fields.</summary>
    public static bool TryVerify(string receipt, IEnumerable<ReceiptKey> keys, out JsonElement payload)
    {
        payload = default;
        var parts = receipt.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            using var header = JsonDocument.Parse(FromBase64Url(parts[0]));
            if (header.RootElement.GetProperty("alg").GetString() != "ES256")
            {
                return false;
            }

            var kid = header.RootElement.GetProperty("kid").GetString();
            var key = keys.FirstOrDefault(k => k.Kid == kid && k.Kty == "EC" && k.Crv == "P-256");
            if (key is null)
            {
                return false;
            }

            using var ecdsa = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = FromBase64Url(key.X), Y = FromBase64Url(key.Y) },
            });
            var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
            if (!ecdsa.VerifyData(signed, FromBase64Url(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                return false;
            }

            using var body = JsonDocument.Parse(FromBase64Url(parts[1]));
            payload = body.RootElement.Clone();
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or CryptographicException)
        {
            return false;
        }
    }

    private static byte[] FromBase64Url(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
