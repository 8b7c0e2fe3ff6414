using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PrivacySuite.Vault.Crypto;

/// <summary>
/// Envelope encryption. Each subject has a random 256-bit data key; it is stored only wrapped (AES-256-GCM) by a
/// versioned KEK, with the subject, KEK version and key generation as associated data, so a wrapped key moved to
/// another subject's row does not unwrap.
///
/// Values are AES-256-GCM under the data key with a random 96-bit nonce per encryption (NIST SP 800-38D 8.2.2). The
/// nonce depends on no state, so a database restore or a failover that rolls rows back cannot make it repeat; the
/// database only counts encryptions per key (<c>subjects.nonces_used</c>) so that a key is replaced long before the
/// random-nonce limit of 2^32 (<see cref="VaultOptions.MaxEncryptionsPerKey"/>). Values written before (format 1)
/// carry a counter nonce: 32 zero bits then the count. A random nonce never starts with 32 zero bits, so the two kinds
/// cannot meet under one key; every nonce is stored with its value, so both kinds decrypt alike.
/// Associated data binds a ciphertext to its subject, category, field, token, version and key generation.
/// </summary>
public static class Envelope
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(KeySize);

    public static byte[] Wrap(byte[] kek, int kekVersion, string subjectId, int generation, byte[] dataKey)
    {
        // KEK wraps are rare (one per subject and rotation), so a random nonce is far inside its birthday bound.
        var output = new byte[NonceSize + TagSize + dataKey.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek, TagSize);
        aes.Encrypt(nonce, dataKey, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), WrapAad(subjectId, kekVersion, generation));
        return output;
    }

    public static byte[] Unwrap(byte[] kek, int kekVersion, string subjectId, int generation, byte[] wrapped)
    {
        if (wrapped.Length != NonceSize + TagSize + KeySize)
        {
            throw new CryptographicException("A wrapped data key has the wrong length.");
        }

        var dataKey = new byte[KeySize];
        using var aes = new AesGcm(kek, TagSize);
        aes.Decrypt(wrapped.AsSpan(0, NonceSize), wrapped.AsSpan(NonceSize + TagSize), wrapped.AsSpan(NonceSize, TagSize), dataKey,
            WrapAad(subjectId, kekVersion, generation));
        return dataKey;
    }

    /// <summary>A fresh random nonce for one encryption under a data key.</summary>
    public static byte[] RandomNonce()
    {
        var nonce = new byte[NonceSize];
        WriteRandomNonce(nonce);
        return nonce;
    }

    /// <summary>Writes a fresh random nonce into <paramref name="destination"/> (12 bytes), never one of the format-1 counter nonces.</summary>
    public static void WriteRandomNonce(Span<byte> destination)
    {
        do
        {
            TakeRandom(destination[..NonceSize]);
        }
        while (BinaryPrimitives.ReadUInt32BigEndian(destination) == 0);
    }

    // Random bytes for nonces, drawn from the CSPRNG 4 KB at a time per thread. One call to it costs about as much as
    // the AES-GCM of a 1 KB value (OpenSSL clears its error queue and checks for a fork on every call: 20% of the
    // vault-crypto figure's CPU), and a nonce must be unique, not secret. Bytes handed out are wiped from the pool.
    private const int NoncePoolSize = 4096;

    [ThreadStatic]
    private static byte[]? _noncePool;

    [ThreadStatic]
    private static int _noncePoolUsed;

    private static void TakeRandom(Span<byte> destination)
    {
        var pool = _noncePool;
        if (pool is null)
        {
            pool = _noncePool = new byte[NoncePoolSize];
            _noncePoolUsed = NoncePoolSize;
        }

        if (_noncePoolUsed + destination.Length > pool.Length)
        {
            RandomNumberGenerator.Fill(pool);
            _noncePoolUsed = 0;
        }

        var taken = pool.AsSpan(_noncePoolUsed, destination.Length);
        taken.CopyTo(destination);
        taken.Clear();
        _noncePoolUsed += destination.Length;
    }

    /// <summary>Format 1 (values written before random nonces): the <paramref name="counter"/>-th encryption's nonce. Kept to read and test old rows.</summary>
    public static byte[] CounterNonce(long counter)
    {
        var nonce = new byte[NonceSize];
        BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), counter);
        return nonce;
    }

    /// <summary>Ciphertext followed by the 16-byte tag.</summary>
    public static byte[] Encrypt(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var output = new byte[plaintext.Length + TagSize];
        Encrypt(aes, nonce, plaintext, aad, output);
        return output;
    }

    public static byte[] Decrypt(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad)
    {
        if (ciphertext.Length < TagSize)
        {
            throw new CryptographicException("A ciphertext is shorter than its tag.");
        }

        var plaintext = new byte[ciphertext.Length - TagSize];
        Decrypt(aes, nonce, ciphertext, aad, plaintext);
        return plaintext;
    }

    public static byte[] ValueAad(string subjectId, string category, string field, string token, int version, int generation)
    {
        Span<byte> buffer = stackalloc byte[MaxAadSize];
        return buffer[..WriteValueAad(buffer, subjectId, category, field, token, version, generation)].ToArray();
    }

    /// <summary>Longest associated data: ids, category, field and token are each at most 64 characters of ASCII.</summary>
    public const int MaxAadSize = 512;

    /// <summary>Writes the associated data of a value into <paramref name="destination"/> without allocating; returns its length.</summary>
    public static int WriteValueAad(Span<byte> destination, string subjectId, string category, string field, string token, int version, int generation) =>
        System.Text.Unicode.Utf8.TryWrite(destination, System.Globalization.CultureInfo.InvariantCulture,
            $"privacysuite-vault-value|v1|{subjectId}|{category}|{field}|{token}|{version}|{generation}", out var written)
            ? written
            : throw new ArgumentException("The associated data is longer than a value's ids allow.");

    /// <summary>Encrypts into <paramref name="destination"/> (plaintext length + tag), without allocating.</summary>
    public static void Encrypt(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, Span<byte> destination) =>
        aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagSize), aad);

    /// <summary>Decrypts into <paramref name="destination"/> (ciphertext length - tag), without allocating.</summary>
    public static void Decrypt(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad, Span<byte> destination)
    {
        if (ciphertext.Length < TagSize)
        {
            throw new CryptographicException("A ciphertext is shorter than its tag.");
        }

        aes.Decrypt(nonce, ciphertext[..^TagSize], ciphertext[^TagSize..], destination[..(ciphertext.Length - TagSize)], aad);
    }

    /// <summary>Format 1: writes the counter nonce into <paramref name="destination"/> (12 bytes).</summary>
    public static void WriteCounterNonce(Span<byte> destination, long counter)
    {
        destination[..4].Clear();
        BinaryPrimitives.WriteInt64BigEndian(destination[4..NonceSize], counter);
    }

    private static byte[] WrapAad(string subjectId, int kekVersion, int generation) =>
        Encoding.UTF8.GetBytes($"privacysuite-vault-dek|v1|{subjectId}|{kekVersion}|{generation}");
}

/// <summary>Keyed hashes derived from the MAC root key with HKDF, one sub-key per use, so no two uses share a key.</summary>
public sealed class MacKeys(FileKeyProvider keys)
{
    private readonly byte[] _lookup = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.MacRootKey, 32, info: "lookup-token"u8.ToArray());
    private readonly byte[] _accessLog = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.MacRootKey, 32, info: "access-log-chain"u8.ToArray());
    private readonly byte[] _codes = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.MacRootKey, 32, info: "verification-code"u8.ToArray());
    private readonly byte[] _requests = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.MacRootKey, 32, info: "idempotent-request"u8.ToArray());

    public string LookupToken(string kind, string normalisedValue) =>
        "lk_" + Base64Url(HMACSHA256.HashData(_lookup, Encoding.UTF8.GetBytes($"{kind}|{normalisedValue}")));

    public string AccessLogHash(string canonicalEntry) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_accessLog, Encoding.UTF8.GetBytes(canonicalEntry)));

    public string CodeHash(Guid verificationId, string code) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_codes, Encoding.UTF8.GetBytes($"{verificationId:N}|{code}")));

    /// <summary>A keyed hash of a request kept with its Idempotency-Key: tells a repeat from another request, reveals nothing of it.</summary>
    public string RequestHash(string canonicalRequest) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_requests, Encoding.UTF8.GetBytes(canonicalRequest)));

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
