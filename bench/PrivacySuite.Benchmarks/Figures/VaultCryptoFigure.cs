extern alias vault;

using System.Diagnostics;
using System.Security.Cryptography;
using Envelope = vault::PrivacySuite.Vault.Crypto.Envelope;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// The vault's field encryption (AES-256-GCM with the counter nonce and the associated data that binds a value to its
/// subject, category, field, token and version; encrypt then decrypt) against raw AesGcm encrypt+decrypt of the same
/// 1 KB values in the same process, with preallocated buffers and no associated data.
/// </summary>
public sealed class VaultCryptoFigure : IFigure
{
    private const int ValueSize = 1024;
    private const int Operations = 200_000;

    public string Name => "vault-crypto";

    public string Description => $"vault field encrypt+decrypt of {ValueSize} B values vs raw AesGcm in the same process ({Operations:N0} round trips each).";

    public Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var value = RandomNumberGenerator.GetBytes(ValueSize);
        using var aes = new AesGcm(key, 16);

        // Warm both paths up past tiered JIT, then alternate baseline and vault runs so drift hits both sides alike.
        Raw(aes, value, Operations);
        Vault(aes, value, Operations);
        var raw = new List<double>();
        var field = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            raw.Add(Raw(aes, value, Operations));
            field.Add(Vault(aes, value, Operations));
            context.Progress($"round {round + 1}: raw {raw[^1]:0} ops/s, vault {field[^1]:0} ops/s");
        }

        var rawRate = raw.Average();
        var fieldRate = field.Average();
        IReadOnlyList<FigureResult> results =
        [
            new FigureResult($"vault-crypto ratio={Measure.Ratio(fieldRate / rawRate)}", new Dictionary<string, string>
            {
                ["vault_roundtrips_s"] = Measure.Number(fieldRate),
                ["raw_aesgcm_roundtrips_s"] = Measure.Number(rawRate),
                ["value_bytes"] = Measure.Number(ValueSize),
                ["goal"] = ">= 0.8",
            }),
        ];
        return Task.FromResult(results);
    }

    private static double Raw(AesGcm aes, byte[] value, int count)
    {
        var nonce = new byte[12];
        var ciphertext = new byte[value.Length];
        var tag = new byte[16];
        var plaintext = new byte[value.Length];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            nonce[11] = (byte)i;
            aes.Encrypt(nonce, value, ciphertext, tag);
            aes.Decrypt(nonce, ciphertext, tag, plaintext);
        }

        return count / watch.Elapsed.TotalSeconds;
    }

    private static double Vault(AesGcm aes, byte[] value, int count)
    {
        // The buffers a request reuses across its values; the random nonce and the associated data are built per value.
        Span<byte> nonce = stackalloc byte[Envelope.NonceSize];
        Span<byte> aad = stackalloc byte[Envelope.MaxAadSize];
        var ciphertext = new byte[value.Length + Envelope.TagSize];
        var plaintext = new byte[value.Length];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            Envelope.WriteRandomNonce(nonce);
            var length = Envelope.WriteValueAad(aad, "bench-subject-0001", "contact", "email", "tk_benchmarktoken000000", 1, 1);
            Envelope.Encrypt(aes, nonce, value, aad[..length], ciphertext);
            Envelope.Decrypt(aes, nonce, ciphertext, aad[..length], plaintext);
        }

        return count / watch.Elapsed.TotalSeconds;
    }
}
