using System.Security.Cryptography;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// Subjects' data keys: creation, unwrapping, the encryption budget, re-keying and KEK rotation. A data key is wrapped under
/// the KEK together with the subject's own key file (<see cref="SubjectKeyStore"/>), so destroying that file shreds
/// every copy of the wrapped key, backups included. Subjects written before subject key files existed
/// (<c>subject_key = false</c>) are wrapped by the KEK alone until <see cref="Workers.SubjectKeyFiles"/> gives them their file.
/// </summary>
public sealed class Keyring(FileKeyProvider keys, SubjectKeyStore subjectKeys, IOptions<VaultOptions> options, TimeProvider time, ILogger<Keyring> logger)
{
    private const int MaxCachedDataKeys = 10_000;

    // Unwrapped data keys for KeyCacheLifetime, keyed by subject and checked against the wrapped key the caller read:
    // a re-key, a re-wrap or an erasure (wrapped key null) never meets an old entry. Unwrapping (HKDF and AES-GCM
    // under OpenSSL 3) was the largest CPU cost of a read after the database.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CachedDataKey> _dataKeys = new(StringComparer.Ordinal);

    /// <summary>The subject row locked for update, created with a fresh data key (and key file) when missing.</summary>
    public async Task<Subject> LockOrCreateAsync(VaultDbContext db, string subjectId, DateTimeOffset now, CancellationToken ct)
    {
        if (await LockAsync(db, subjectId, ct) is { } existing)
        {
            return existing;
        }

        // An erased subject keeps its row, so a key file is only ever created for a subject that never had one.
        var kekVersion = keys.CurrentVersion;
        var wrapped = Envelope.Wrap(WrappingKey(kekVersion, subjectId, 1, create: true), kekVersion, subjectId, 1, Envelope.NewDataKey());
        await InsertAsync(db, subjectId, wrapped, kekVersion, now, ct);
        return await LockAsync(db, subjectId, ct) ?? throw new InvalidOperationException("The subject row vanished inside its transaction.");
    }

    /// <summary>A new subject's row with its wrapped data key, unless another transaction inserted it first.</summary>
    internal static Task InsertAsync(VaultDbContext db, string subjectId, byte[] wrapped, int kekVersion, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync(
            $"insert into subjects (subject_id, wrapped_key, kek_version, subject_key, created_at) values ({subjectId}, {wrapped}, {kekVersion}, true, {now}) on conflict do nothing",
            ct);

    public Task<Subject?> LockAsync(VaultDbContext db, string subjectId, CancellationToken ct) =>
        db.Subjects.FromSql($"select * from subjects where subject_id = {subjectId} for update").SingleOrDefaultAsync(ct);

    /// <summary>An AES-GCM instance under the subject's data key; null when the key was shredded.</summary>
    public AesGcm? Open(Subject subject)
    {
        if (subject.WrappedKey is null)
        {
            return null;
        }

        var now = time.GetTimestamp();
        if (_dataKeys.TryGetValue(subject.SubjectId, out var cached) && cached.Until > now && cached.Wrapped.AsSpan().SequenceEqual(subject.WrappedKey))
        {
            return new AesGcm(cached.DataKey, Envelope.TagSize);
        }

        var dataKey = Unwrap(subject);
        try
        {
            if (_dataKeys.Count >= MaxCachedDataKeys)
            {
                _dataKeys.Clear();
            }

            _dataKeys[subject.SubjectId] = new CachedDataKey(subject.WrappedKey, dataKey.ToArray(),
                now + (long)(options.Value.KeyCacheLifetime.TotalSeconds * time.TimestampFrequency));
            return new AesGcm(dataKey, Envelope.TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Whether the subject's key file is gone while its row still holds a wrapped key: an erasure deleted it and the row
    /// came back (a restored backup), or the erasure's row did not commit. Nothing can unwrap the key: it counts as erased.
    /// </summary>
    public bool KeyFileGone(Subject subject) =>
        subject is { WrappedKey: not null, SubjectKey: true } && !subjectKeys.Exists(subject.SubjectId, subject.KeyGeneration);

    /// <summary>Forgets the subject's unwrapped data key in this process (erasure, re-key, re-wrap).</summary>
    private void Forget(string subjectId)
    {
        if (_dataKeys.TryRemove(subjectId, out var cached))
        {
            CryptographicOperations.ZeroMemory(cached.DataKey);
        }
    }

    private sealed record CachedDataKey(byte[] Wrapped, byte[] DataKey, long Until);

    /// <summary>Unwraps the subject's data key with the KEK and, where it has one, the subject's key file.</summary>
    public byte[] Unwrap(Subject subject)
    {
        var wrappingKey = subject.SubjectKey ? WrappingKey(subject.KekVersion, subject.SubjectId, subject.KeyGeneration, create: false) : keys.Kek(subject.KekVersion);
        try
        {
            return Envelope.Unwrap(wrappingKey, subject.KekVersion, subject.SubjectId, subject.KeyGeneration, subject.WrappedKey!);
        }
        finally
        {
            if (subject.SubjectKey)
            {
                CryptographicOperations.ZeroMemory(wrappingKey);
            }
        }
    }

    /// <summary>
    /// Deletes key files a committed transaction made stale: every one of an erased subject (what remains of its data key
    /// in any copy of the database can no longer be unwrapped), else those of generations before the current one. A file
    /// that is already gone is no error, so this can be repeated.
    /// </summary>
    public void DestroyStaleKeyFiles(StaleKeyFile stale)
    {
        Forget(stale.SubjectId);
        if (stale.Erased)
        {
            // One past the current generation too: a re-key whose transaction failed may have left its new file.
            subjectKeys.Destroy(stale.SubjectId, 1, stale.Generation + 1);
        }
        else
        {
            subjectKeys.DestroyOlderThan(stale.SubjectId, stale.Generation);
        }
    }

    /// <summary>
    /// Gives the subject a new data key and key file and re-encrypts its values (the row is locked by the caller): after
    /// values were deleted, their copies in a backup were encrypted under a key that no longer exists anywhere. The old
    /// key file goes once this transaction commits.
    /// </summary>
    public Task ReplaceKeyAsync(VaultDbContext db, Subject subject, CancellationToken ct) => RekeyAsync(db, subject, ct);

    private byte[] WrappingKey(int kekVersion, string subjectId, int generation, bool create) =>
        SubjectKeyStore.WrappingKey(keys.Kek(kekVersion), create ? subjectKeys.GetOrCreate(subjectId, generation) : subjectKeys.Get(subjectId, generation));

    /// <summary>
    /// Counts <paramref name="count"/> encryptions against the subject's current data key (the row is locked by the
    /// caller). When the key's budget would be exceeded, the subject gets a new data key and its values are re-encrypted first.
    /// </summary>
    public async Task CountEncryptionsAsync(VaultDbContext db, Subject subject, int count, CancellationToken ct)
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

        subject.NoncesUsed += count;
    }

    private async Task RekeyAsync(VaultDbContext db, Subject subject, CancellationToken ct)
    {
        var values = await db.Values.Where(v => v.SubjectId == subject.SubjectId).ToListAsync(ct);
        // Verified contacts are copies of contact values under the same key: they move to the new key with them.
        var verified = await db.VerifiedContacts.Where(c => c.SubjectId == subject.SubjectId).ToListAsync(ct);
        var plaintexts = new List<byte[]>(values.Count);
        var verifiedPlaintexts = new List<byte[]>(verified.Count);
        using (var old = Open(subject) ?? throw new InvalidOperationException("An erased subject has no key to replace."))
        {
            foreach (var v in values)
            {
                plaintexts.Add(Envelope.Decrypt(old, v.Nonce, v.Ciphertext, Envelope.ValueAad(v.SubjectId, v.Category, v.Field, v.Token, v.Version, v.KeyGeneration)));
            }

            foreach (var c in verified)
            {
                verifiedPlaintexts.Add(Envelope.Decrypt(old, c.Nonce, c.Ciphertext, VerifiedContactAad(c, c.KeyGeneration)));
            }
        }

        Forget(subject.SubjectId);
        var previousUse = subject.NoncesUsed;
        var generation = subject.KeyGeneration + 1;
        var dataKey = Envelope.NewDataKey();
        var kekVersion = keys.CurrentVersion;
        var wrappingKey = WrappingKey(kekVersion, subject.SubjectId, generation, create: true);
        subject.WrappedKey = Envelope.Wrap(wrappingKey, kekVersion, subject.SubjectId, generation, dataKey);
        CryptographicOperations.ZeroMemory(wrappingKey);
        subject.SubjectKey = true;
        subject.KekVersion = kekVersion;
        subject.KeyGeneration = generation;
        subject.NoncesUsed = 0;
        using var aes = new AesGcm(dataKey, Envelope.TagSize);
        CryptographicOperations.ZeroMemory(dataKey);
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            v.KeyGeneration = generation;
            v.Nonce = Envelope.RandomNonce();
            subject.NoncesUsed++;
            v.Ciphertext = Envelope.Encrypt(aes, v.Nonce, plaintexts[i], Envelope.ValueAad(v.SubjectId, v.Category, v.Field, v.Token, v.Version, generation));
            CryptographicOperations.ZeroMemory(plaintexts[i]);
        }

        for (var i = 0; i < verified.Count; i++)
        {
            var c = verified[i];
            c.KeyGeneration = generation;
            c.Nonce = Envelope.RandomNonce();
            subject.NoncesUsed++;
            c.Ciphertext = Envelope.Encrypt(aes, c.Nonce, verifiedPlaintexts[i], VerifiedContactAad(c, generation));
            CryptographicOperations.ZeroMemory(verifiedPlaintexts[i]);
        }

        // The old generation's key file goes once this commits: a rollback keeps the old key, and its file, in use.
        db.DestroyKeyFilesAfterCommit(subject);
        Log.Rekeyed(logger, subject.SubjectId, previousUse, generation);
    }

    /// <summary>A verified contact is bound to the contact value it was copied from (its token and version).</summary>
    public static byte[] VerifiedContactAad(VerifiedContact c, int keyGeneration) =>
        Envelope.ValueAad(c.SubjectId, Categories.Contact, c.Field, c.SourceToken, c.SourceVersion, keyGeneration);

    /// <summary>
    /// Creates the next KEK version and re-wraps every live data key with it, a batch at a time, each row in its own
    /// short transaction: reads and writes carry on meanwhile, since every row names the KEK version that wraps it.
    /// </summary>
    public async Task<(int Version, int Rewrapped)> RotateAsync(VaultDbContext db, CancellationToken ct)
    {
        var version = keys.Rotate();
        var rewrapped = 0;
        // In subject order, after the last one seen: a subject whose key file is gone (erased) stays as it is and is not met again.
        var after = "";
        while (await RewrapAsync(db, version,
                   $"select * from subjects where wrapped_key is not null and kek_version < {version} and subject_id > {after} order by subject_id limit 200 for update",
                   ct) is { Seen: > 0 } batch)
        {
            rewrapped += batch.Rewrapped;
            after = batch.Last!;
        }

        Log.Rotated(logger, version, rewrapped);
        return (version, rewrapped);
    }

    /// <summary>
    /// Gives up to 200 subjects from before key files (<c>subject_key = false</c>) their key file, re-wrapping their data
    /// key under the current KEK and the new file; answers how many. Until then a database backup plus the KEK alone
    /// decrypts them, and erasure could not reach their copies in backups.
    /// </summary>
    public async Task<int> GiveKeyFilesAsync(VaultDbContext db, CancellationToken ct) => (await RewrapAsync(db, keys.CurrentVersion,
        $"select * from subjects where not subject_key and wrapped_key is not null limit 200 for update skip locked", ct)).Rewrapped;

    /// <summary>
    /// Re-wraps the data keys of the subjects <paramref name="select"/> locks under KEK <paramref name="version"/> and the
    /// subject's key file, in one short transaction. Re-wrapping also gives a subject from before key files its key file:
    /// the file is written before the commit, so a failed commit leaves a file the next attempt uses.
    /// </summary>
    private async Task<(int Seen, int Rewrapped, string? Last)> RewrapAsync(VaultDbContext db, int version, FormattableString select, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Subjects.FromSql(select).ToListAsync(ct);
        var rewrapped = 0;
        foreach (var s in batch)
        {
            byte[] dataKey;
            try
            {
                dataKey = Unwrap(s);
            }
            catch (SubjectKeyGoneException)
            {
                continue; // erased: its key file is gone, so there is nothing to re-wrap (and its reads answer erased)
            }

            var wrappingKey = WrappingKey(version, s.SubjectId, s.KeyGeneration, create: true);
            s.WrappedKey = Envelope.Wrap(wrappingKey, version, s.SubjectId, s.KeyGeneration, dataKey);
            s.KekVersion = version;
            s.SubjectKey = true;
            Forget(s.SubjectId);
            CryptographicOperations.ZeroMemory(dataKey);
            CryptographicOperations.ZeroMemory(wrappingKey);
            rewrapped++;
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (batch.Count, rewrapped, batch.Count > 0 ? batch[^1].SubjectId : null);
    }
}

/// <summary>Key files of a subject that a committed erasure (all of them) or re-key (earlier generations) made stale.</summary>
public sealed record StaleKeyFile(string SubjectId, int Generation, bool Erased);
