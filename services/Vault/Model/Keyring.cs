using System.Security.Cryptography;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>Subjects' data keys: creation, unwrapping, the nonce budget, re-keying and KEK rotation.</summary>
public sealed class Keyring(FileKeyProvider keys, IOptions<VaultOptions> options, ILogger<Keyring> logger)
{
    /// <summary>The subject row locked for update, created with a fresh data key when missing.</summary>
    public async Task<Subject> LockOrCreateAsync(VaultDbContext db, string subjectId, DateTimeOffset now, CancellationToken ct)
    {
        var kekVersion = keys.CurrentVersion;
        var wrapped = Envelope.Wrap(keys.Kek(kekVersion), kekVersion, subjectId, 1, Envelope.NewDataKey());
        await db.Database.ExecuteSqlAsync(
            $"insert into subjects (subject_id, wrapped_key, kek_version, created_at) values ({subjectId}, {wrapped}, {kekVersion}, {now}) on conflict do nothing",
            ct);
        return await LockAsync(db, subjectId, ct) ?? throw new InvalidOperationException("The subject row vanished inside its transaction.");
    }

    public Task<Subject?> LockAsync(VaultDbContext db, string subjectId, CancellationToken ct) =>
        db.Subjects.FromSql($"select * from subjects where subject_id = {subjectId} for update").SingleOrDefaultAsync(ct);

    /// <summary>An AES-GCM instance under the subject's data key; null when the key was shredded.</summary>
    public AesGcm? Open(Subject subject)
    {
        if (subject.WrappedKey is null)
        {
            return null;
        }

        var dataKey = Envelope.Unwrap(keys.Kek(subject.KekVersion), subject.KekVersion, subject.SubjectId, subject.KeyGeneration, subject.WrappedKey);
        try
        {
            return new AesGcm(dataKey, Envelope.TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Reserves <paramref name="count"/> nonces under the subject's current data key (the row is locked by the caller).
    /// When the key's budget would be exceeded, the subject gets a new data key and its values are re-encrypted first.
    /// </summary>
    public async Task<long> ReserveNoncesAsync(VaultDbContext db, Subject subject, int count, CancellationToken ct)
    {
        var limit = options.Value.MaxEncryptionsPerKey;
        if (subject.NoncesUsed + count > limit)
        {
            await RekeyAsync(db, subject, ct);
            if (subject.NoncesUsed + count > limit)
            {
                throw new InvalidOperationException("A single write needs more encryptions than one data key allows.");
            }
        }

        var first = subject.NoncesUsed + 1;
        subject.NoncesUsed += count;
        return first;
    }

    private async Task RekeyAsync(VaultDbContext db, Subject subject, CancellationToken ct)
    {
        var values = await db.Values.Where(v => v.SubjectId == subject.SubjectId).ToListAsync(ct);
        var plaintexts = new List<byte[]>(values.Count);
        using (var old = Open(subject) ?? throw new InvalidOperationException("An erased subject has no key to replace."))
        {
            foreach (var v in values)
            {
                plaintexts.Add(Envelope.Decrypt(old, v.Nonce, v.Ciphertext, Envelope.ValueAad(v.SubjectId, v.Category, v.Field, v.Token, v.Version, v.KeyGeneration)));
            }
        }

        var previousUse = subject.NoncesUsed;
        var generation = subject.KeyGeneration + 1;
        var dataKey = Envelope.NewDataKey();
        var kekVersion = keys.CurrentVersion;
        subject.WrappedKey = Envelope.Wrap(keys.Kek(kekVersion), kekVersion, subject.SubjectId, generation, dataKey);
        subject.KekVersion = kekVersion;
        subject.KeyGeneration = generation;
        subject.NoncesUsed = 0;
        using var aes = new AesGcm(dataKey, Envelope.TagSize);
        CryptographicOperations.ZeroMemory(dataKey);
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            v.KeyGeneration = generation;
            v.Nonce = Envelope.CounterNonce(++subject.NoncesUsed);
            v.Ciphertext = Envelope.Encrypt(aes, v.Nonce, plaintexts[i], Envelope.ValueAad(v.SubjectId, v.Category, v.Field, v.Token, v.Version, generation));
            CryptographicOperations.ZeroMemory(plaintexts[i]);
        }

        Log.Rekeyed(logger, subject.SubjectId, previousUse, generation);
    }

    /// <summary>
    /// Creates the next KEK version and re-wraps every live data key with it, a batch at a time, each row in its own
    /// short transaction: reads and writes carry on meanwhile, since every row names the KEK version that wraps it.
    /// </summary>
    public async Task<(int Version, int Rewrapped)> RotateAsync(VaultDbContext db, CancellationToken ct)
    {
        var version = keys.Rotate();
        var rewrapped = 0;
        while (true)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var batch = await db.Subjects
                .FromSql($"select * from subjects where wrapped_key is not null and kek_version < {version} limit 200 for update skip locked")
                .ToListAsync(ct);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var s in batch)
            {
                var dataKey = Envelope.Unwrap(keys.Kek(s.KekVersion), s.KekVersion, s.SubjectId, s.KeyGeneration, s.WrappedKey!);
                s.WrappedKey = Envelope.Wrap(keys.Kek(version), version, s.SubjectId, s.KeyGeneration, dataKey);
                s.KekVersion = version;
                CryptographicOperations.ZeroMemory(dataKey);
            }

            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            rewrapped += batch.Count;
        }

        Log.Rotated(logger, version, rewrapped);
        return (version, rewrapped);
    }
}
