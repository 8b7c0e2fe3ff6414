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
public sealed class VaultCryptoFigure : PairedFigure
{
    private const int ValueSize = 1024;
    private const int Operations = 200_000;

    public override string Name => "vault-crypto";

    public override string Description =>
        $"vault field encrypt+decrypt of {ValueSize} B values vs raw AesGcm in the same process ({Operations:N0} round trips a side a round), in alternating rounds.";

    protected override string Goal => ">= 0.8";

    protected override Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var value = RandomNumberGenerator.GetBytes(ValueSize);
        var aes = new AesGcm(key, 16);

        // Both paths warmed up past tiered JIT first.
        Raw(aes, value, Operations);
        Vault(aes, value, Operations);
        return Task.FromResult(new Pair(
            "vault", _ => Task.FromResult(MeasureSide(() => Vault(aes, value, Operations))),
            "raw", _ => Task.FromResult(MeasureSide(() => Raw(aes, value, Operations))),
            new Disposing(aes)));
    }

    /// <summary>One side's round: round trips per second and the CPU each took (this process, one thread).</summary>
    private static Side MeasureSide(Func<double> run)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var rate = run();
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new Side(rate, used.TotalMicroseconds / Operations);
    }

    private sealed class Disposing(IDisposable resource) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            resource.Dispose();
            return ValueTask.CompletedTask;
        }
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
