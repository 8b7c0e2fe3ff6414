using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace PrivacySuite.Vault.Crypto;

/// <summary>
/// One random 256-bit key per subject and data-key generation, kept as a file in the key folder (<c>subjects/</c>), never
/// in the database. A data key is wrapped under HKDF(KEK ‖ subject key), so unwrapping needs both: a database backup
/// plus the KEK does not decrypt a subject whose key file was deleted. Erasure deletes the file (crypto-shredding that
/// reaches backups); both regions share the key folder, so it is gone in each.
/// File names are a hash of the subject id (no subject id in a directory listing), spread over 256 sub-folders.
/// </summary>
public sealed class SubjectKeyStore
{
    private const int MaxCached = 100_000;
    private readonly string _directory;
    private readonly TimeSpan _cacheLifetime;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Subject, int Generation), (byte[] Key, long Until)> _cache = new();

    /// <param name="keyDirectory">The key folder.</param>
    /// <param name="cacheLifetime">
    /// How long a key read from its file is kept in memory (default 30 s): a key file another instance deleted (an
    /// erasure) stops unwrapping here within that time, even for a row a restored backup brings back.
    /// </param>
    /// <param name="time">The clock of that lifetime.</param>
    public SubjectKeyStore(string keyDirectory, TimeSpan? cacheLifetime = null, TimeProvider? time = null)
    {
        _directory = Path.Combine(keyDirectory, "subjects");
        _cacheLifetime = cacheLifetime ?? TimeSpan.FromSeconds(30);
        _time = time ?? TimeProvider.System;
        FileKeyProvider.CreatePrivateDirectory(_directory);
    }

    /// <summary>The subject's key of <paramref name="generation"/>, created (atomically, once across instances) when missing.</summary>
    public byte[] GetOrCreate(string subjectId, int generation)
    {
        if (Cached(subjectId, generation) is { } cached)
        {
            return cached;
        }

        var path = PathOf(subjectId, generation);
        if (!File.Exists(path))
        {
            FileKeyProvider.CreatePrivateDirectory(Path.GetDirectoryName(path)!);
            FileKeyProvider.WriteNewKey(path);
        }

        return Remember(subjectId, generation, FileKeyProvider.ReadKey(path));
    }

    /// <summary>The subject's key of <paramref name="generation"/>; a missing file means the subject was erased (CryptographicException).</summary>
    public byte[] Get(string subjectId, int generation)
    {
        if (Cached(subjectId, generation) is { } cached)
        {
            return cached;
        }

        var path = PathOf(subjectId, generation);
        return File.Exists(path)
            ? Remember(subjectId, generation, FileKeyProvider.ReadKey(path))
            : throw new SubjectKeyGoneException();
    }

    /// <summary>Deletes the subject's key files of generations <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void Destroy(string subjectId, int from, int to)
    {
        for (var generation = from; generation <= to; generation++)
        {
            if (_cache.TryRemove((subjectId, generation), out var entry))
            {
                CryptographicOperations.ZeroMemory(entry.Key);
            }

            File.Delete(PathOf(subjectId, generation));
        }
    }

    /// <summary>Deletes keys of generations before <paramref name="current"/>, which a re-key leaves for after its commit.</summary>
    public void DestroyOlderThan(string subjectId, int current)
    {
        if (current > 1 && File.Exists(PathOf(subjectId, current - 1)))
        {
            Destroy(subjectId, 1, current - 1);
        }
    }

    /// <summary>Whether a key file of the subject exists (for tests and the operator).</summary>
    public bool Exists(string subjectId, int generation) => File.Exists(PathOf(subjectId, generation));

    /// <summary>The key that wraps a data key: both the KEK and the subject key are needed to derive it.</summary>
    public static byte[] WrappingKey(byte[] kek, byte[] subjectKey)
    {
        var ikm = new byte[64];
        kek.CopyTo(ikm, 0);
        subjectKey.CopyTo(ikm, 32);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, info: "privacysuite-vault-dek-wrap|v2"u8.ToArray());
        CryptographicOperations.ZeroMemory(ikm);
        return key;
    }

    private byte[]? Cached(string subjectId, int generation) =>
        _cache.TryGetValue((subjectId, generation), out var entry) && entry.Until > _time.GetTimestamp() ? entry.Key : null;

    private byte[] Remember(string subjectId, int generation, byte[] key)
    {
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[(subjectId, generation)] = (key, _time.GetTimestamp() + (long)(_cacheLifetime.TotalSeconds * _time.TimestampFrequency));
        return key;
    }

    private string PathOf(string subjectId, int generation)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("privacysuite-subject-key|" + subjectId)));
        return Path.Combine(_directory, hash[..2], $"{hash}-{generation}.key");
    }
}

/// <summary>The subject's key file is gone: an erasure destroyed it (perhaps one that is committing while this reads).</summary>
public sealed class SubjectKeyGoneException() : CryptographicException("The subject's key file is gone: its data was erased.");
