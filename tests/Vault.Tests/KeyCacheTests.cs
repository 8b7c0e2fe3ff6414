using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// The in-memory key caches on the read path, over a real key folder: they never outlive an erasure in this process,
/// never serve a re-wrapped or replaced key, and an erasure by another instance takes effect within their lifetime.
/// </summary>
public sealed class KeyCacheTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "vault-keycache-" + Guid.NewGuid().ToString("N"));
    private readonly ManualClock _clock = new();
    private readonly FileKeyProvider _keys;
    private readonly Keyring _keyring;

    public KeyCacheTests()
    {
        _keys = new FileKeyProvider(_folder);
        _keyring = new Keyring(_keys, new SubjectKeyStore(_folder, Lifetime, _clock), Options.Create(new VaultOptions { KeyCacheLifetime = Lifetime }),
            _clock, NullLogger<Keyring>.Instance);
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public void An_erasure_in_this_process_stops_decryption_at_once()
    {
        var (subject, value) = NewSubject("cache-1", "first");
        Assert.Equal("first", Decrypt(subject, value));

        // What an erasure does in this process once its transaction commits.
        _keyring.DestroyStaleKeyFiles(new StaleKeyFile(subject.SubjectId, subject.KeyGeneration, Erased: true));

        Assert.ThrowsAny<CryptographicException>(() => Decrypt(subject, value));
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public void An_erasure_by_another_instance_stops_decryption_here_within_the_cache_lifetime()
    {
        var (subject, value) = NewSubject("cache-2", "second");
        Assert.Equal("second", Decrypt(subject, value));

        // Another instance sharing the key folder erases the subject: its key files go.
        new SubjectKeyStore(_folder).Destroy(subject.SubjectId, 1, 2);
        _clock.Advance(Lifetime - TimeSpan.FromSeconds(1));
        var withinLifetime = Decrypt(subject, value);
        _clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("second", withinLifetime);
        Assert.ThrowsAny<CryptographicException>(() => Decrypt(subject, value));
    }

    [Fact]
    public void A_replaced_data_key_is_never_served_from_the_cache()
    {
        var (subject, value) = NewSubject("cache-3", "old");
        Assert.Equal("old", Decrypt(subject, value));

        // The row now holds another wrapped key (a re-key elsewhere): the cached key is not used for it.
        var (replaced, newValue) = NewSubject("cache-3", "new", generation: 2);

        Assert.Equal("new", Decrypt(replaced, newValue));
        Assert.ThrowsAny<CryptographicException>(() => Decrypt(replaced, value));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (Subject Subject, byte[] Ciphertext) NewSubject(string subjectId, string clear, int generation = 1)
    {
        var dataKey = Envelope.NewDataKey();
        var wrappingKey = SubjectKeyStore.WrappingKey(_keys.Kek(1), new SubjectKeyStore(_folder).GetOrCreate(subjectId, generation));
        var subject = new Subject
        {
            SubjectId = subjectId,
            WrappedKey = Envelope.Wrap(wrappingKey, 1, subjectId, generation, dataKey),
            KekVersion = 1,
            SubjectKey = true,
            KeyGeneration = generation,
        };
        using var aes = new AesGcm(dataKey, Envelope.TagSize);
        return (subject, Envelope.Encrypt(aes, Envelope.CounterNonce(1), Encoding.UTF8.GetBytes(clear), Aad(subjectId)));
    }

    private string Decrypt(Subject subject, byte[] ciphertext)
    {
        using var aes = _keyring.Open(subject)!;
        return Encoding.UTF8.GetString(Envelope.Decrypt(aes, Envelope.CounterNonce(1), ciphertext, Aad(subject.SubjectId)));
    }

    private static byte[] Aad(string subjectId) => Envelope.ValueAad(subjectId, "device", "model", "tk_cache", 1, 1);

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
