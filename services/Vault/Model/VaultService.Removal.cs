using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>Removal of many subjects (erasure as a whole or of a category's tokens, anonymisation) and the pieces erasure shares.</summary>
public sealed partial class VaultService
{
    /// <summary>Both regions read the same replicated database and the same key folder: a shredded key is gone in each.</summary>
    public static readonly IReadOnlyList<Region> AllRegions = Enum.GetValues<Region>();

    /// <summary>
    /// Categories whose values identify the person on their own (or, for location tracks and delivery addresses, in
    /// combination): anonymisation shreds them. Only usage data survives anonymisation, re-keyed under a random id.
    /// </summary>
    public static readonly IReadOnlySet<string> Identifying = new HashSet<string>
    {
        Categories.Identity, Categories.Contact, Categories.Device, Categories.Location, Categories.Delivery,
    };

    /// <summary>What a removal of many subjects did: the subjects refused (a hold, or a failure), those of them that failed, and the certificates of whole-subject erasures.</summary>
    public sealed record Removals(List<string> Refused, List<string> Failed, List<SubjectCertificate> Certificates);

    /// <summary>A value a schedule's removal covers.</summary>
    public sealed record DueValue(string SubjectId, string Token, DateTimeOffset StoredAt);

    /// <summary>
    /// Erases or anonymises each subject, in the given (fixed) order, in the caller's transaction: as a whole when
    /// <paramref name="category"/> is null, else only the listed tokens of that category (all of it when none are listed).
    /// A hold the vault knows of refuses a subject. A subject the vault holds nothing of is certified erased with nothing
    /// shredded, since whoever asked knows of it. Each subject runs in a savepoint, so one that fails is undone alone and
    /// the others complete.
    /// </summary>
    public async Task<Removals> RemoveAsync(string requestType, bool anonymise, DataCategory? category, string reason, Guid requestId, string accessor,
        IEnumerable<(string SubjectId, IReadOnlyCollection<string> Tokens)> subjects, CancellationToken ct)
    {
        var categoryName = category is { } c ? CategoryName(c) : null;
        var removals = new Removals([], [], []);
        foreach (var (subjectId, tokens) in subjects)
        {
            var held = false;
            SubjectCertificate? certificate = null;
            var done = await InSavepointAsync(subjectId, requestId, requestType, async () =>
            {
                if (anonymise)
                {
                    held = !await AnonymiseAsync(subjectId, categoryName, tokens, requestId, accessor, ct);
                    return;
                }

                var result = categoryName is null
                    ? (await EraseLockedAsync(subjectId, reason, accessor, time.GetUtcNow(), certifyUnknown: true, ct)).Result
                    : await EraseCategoryAsync(subjectId, categoryName, tokens, reason, accessor, ct);
                held = result is ErasureResult.Blocked;
                if (result is ErasureResult.Erased erased && categoryName is null)
                {
                    certificate = new SubjectCertificate(subjectId, erased.CertificateId);
                }
            }, ct);

            if (!done)
            {
                removals.Failed.Add(subjectId);
                removals.Refused.Add(subjectId);
            }
            else if (held)
            {
                removals.Refused.Add(subjectId);
            }
            else if (certificate is not null)
            {
                removals.Certificates.Add(certificate);
            }
        }

        return removals;
    }

    /// <summary>The named subjects' values of <paramref name="category"/> stored before <paramref name="storedBefore"/>, by subject in a fixed order.</summary>
    public async Task<List<IGrouping<string, DueValue>>> DueValuesAsync(DataCategory category, DateTimeOffset storedBefore, IEnumerable<string> subjectIds,
        CancellationToken ct)
    {
        var name = CategoryName(category);
        var ids = subjectIds.Distinct(StringComparer.Ordinal).ToArray();
        // PostgreSQL's timestamptz takes only UTC offsets; the unique index (subject_id, category, field) serves the lookup.
        var before = storedBefore.ToUniversalTime();
        return (await db.Values.AsNoTracking()
                .Where(v => ids.Contains(v.SubjectId) && v.Category == name && v.StoredAt < before)
                .Select(v => new DueValue(v.SubjectId, v.Token, v.StoredAt))
                .ToListAsync(ct))
            .GroupBy(v => v.SubjectId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Erases <paramref name="tokens"/> of one category (all of the category when empty), in the caller's transaction.
    /// A hold on the subject or the category refuses it; otherwise the values are deleted and the subject gets a new data
    /// key and key file, so copies of the deleted rows in a backup no longer decrypt (<see cref="Keyring.ReplaceKeyAsync"/>).
    /// </summary>
    private async Task<ErasureResult> EraseCategoryAsync(string subjectId, string category, IReadOnlyCollection<string> tokens, string reason,
        string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var subject = await keyring.LockAsync(db, subjectId, ct);
        var holds = await HoldsAsync(subjectId, category, ct);
        if (holds.Count > 0)
        {
            await RefuseAsync(subjectId, "erasure", accessor, holds, ct);
            return new ErasureResult.Blocked(holds);
        }

        var removed = 0;
        if (subject is { ErasedAt: null })
        {
            removed = await ValuesOf(subjectId, category, tokens).ExecuteDeleteAsync(ct);
            // A subject whose key file is gone has nothing left to re-encrypt: its remaining values are unreadable already.
            if (removed > 0 && !keyring.KeyFileGone(subject))
            {
                await keyring.ReplaceKeyAsync(db, subject, ct);
            }
        }

        var certificateId = Certify(subjectId, reason, removed, now);
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("erasure", "allowed", subjectId, accessor, Category: category,
            Detail: $"certificate={certificateId};values={removed}"));
        Log.CategoryErased(logger, subjectId, category, removed);
        return new ErasureResult.Erased(certificateId, now);
    }

    /// <summary>
    /// Anonymises a subject (<paramref name="category"/> null) or one category of it, in the caller's transaction:
    /// identifying values are shredded; the others are decrypted and stored again under a random subject id with new
    /// tokens, so nothing the product backends hold leads to them. A whole subject's key is shredded afterwards.
    /// False when a hold refused it.
    /// </summary>
    private async Task<bool> AnonymiseAsync(string subjectId, string? category, IReadOnlyCollection<string> tokens, Guid requestId,
        string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var subject = await keyring.LockAsync(db, subjectId, ct);
        var holds = await HoldsAsync(subjectId, category, ct);
        if (holds.Count > 0)
        {
            await RefuseAsync(subjectId, "anonymisation", accessor, holds, ct);
            return false;
        }

        var moved = 0;
        var removed = 0;
        if (subject is { ErasedAt: null })
        {
            var rows = await (category is null ? db.Values.Where(v => v.SubjectId == subjectId) : ValuesOf(subjectId, category, tokens)).ToListAsync(ct);
            // Values under a key whose file is gone are unreadable: none can be kept, they go with the key.
            var keyGone = keyring.KeyFileGone(subject);
            var keep = keyGone ? [] : rows.Where(r => !Identifying.Contains(r.Category)).ToList();
            if (keep.Count > 0)
            {
                // A random id that appears nowhere else: the values stay useful in aggregate and lead to nobody.
                var anonymous = "anon-" + MacKeys.Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
                // The basis and the purposes it covers move with the values, as they were recorded.
                foreach (var group in Decrypt(keep, new Dictionary<string, Subject> { [subjectId] = subject })
                             .GroupBy(v => (v.Category, v.Source, v.LegalBasis, Purposes: string.Join(',', v.BasisPurposes))))
                {
                    await StoreAsync(anonymous, group.Key.Category, group.Key.Source, group.Key.LegalBasis, group.First().BasisPurposes,
                        group.ToDictionary(v => v.Field, v => v.Value), accessor, "anonymisation", ct);
                    moved += group.Count();
                }
            }

            var gone = rows.Select(r => r.Token).ToList();
            removed = rows.Count - keep.Count;
            if (category is null)
            {
                // Every value of the subject leaves with its key.
                await ShredAsync(subject, now, ct);
            }
            else if (gone.Count > 0)
            {
                await db.Values.Where(v => gone.Contains(v.Token)).ExecuteDeleteAsync(ct);
                if (!keyGone)
                {
                    await keyring.ReplaceKeyAsync(db, subject, ct);
                }
            }
        }

        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("anonymisation", "allowed", subjectId, accessor, Category: category,
            Detail: $"sweep-item={requestId};shredded={removed};rekeyed={moved}"));
        Log.Anonymised(logger, subjectId, removed, moved);
        return true;
    }

    /// <summary>
    /// Runs one subject's part of a request for many inside a savepoint of the caller's transaction: when it fails, only
    /// that subject's changes are undone (rows, outbox events, access-log entries and what waits for the commit) and the others go on.
    /// Answers false then; the failure is logged (its type only, never its message, which could carry data) and counted.
    /// A failure that breaks the transaction itself (a lost connection) is not caught: the request is retried as a whole.
    /// </summary>
    private async Task<bool> InSavepointAsync(string subjectId, Guid requestId, string requestType, Func<Task> work, CancellationToken ct)
    {
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("A subject's savepoint needs the request's transaction.");
        const string savepoint = "subject";
        await db.SaveChangesAsync(ct);
        await transaction.CreateSavepointAsync(savepoint, ct);
        var mark = db.Mark();
        try
        {
            await work();
            await db.SaveChangesAsync(ct);
            await transaction.ReleaseSavepointAsync(savepoint, ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await transaction.RollbackToSavepointAsync(savepoint, ct);
            db.ChangeTracker.Clear();
            db.RollBackTo(mark);
            RequestFailures.Add(1, new KeyValuePair<string, object?>("request", requestType), new KeyValuePair<string, object?>("scope", "subject"));
            Log.SubjectOfRequestFailed(logger, subjectId, requestType, requestId, e.GetType().Name);
            return false;
        }
    }

    /// <summary>Vault requests from other services that failed: one subject of a request ("subject"), or a whole request after its retries ("request").</summary>
    public static readonly System.Diagnostics.Metrics.Counter<long> RequestFailures = PrivacySuite.ServiceDefaults.Telemetry.SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.vault.request_failures", description: "Removal requests the vault failed on, answered as refused");

    /// <summary>
    /// Destroys the subject's data key: the database copy now, the key file once this transaction commits (a rollback
    /// leaves the subject as it was, readable). Then every copy of its values, backups included, is unreadable.
    /// </summary>
    private async Task<int> ShredAsync(Subject subject, DateTimeOffset now, CancellationToken ct)
    {
        subject.WrappedKey = null;
        subject.ErasedAt = now;
        await db.SaveChangesAsync(ct);
        var shredded = await db.Values.Where(v => v.SubjectId == subject.SubjectId)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.LookupToken, (string?)null), ct);
        // Unreadable without the key already; the rows go too, so no code is ever addressed to an erased subject.
        await db.VerifiedContacts.Where(c => c.SubjectId == subject.SubjectId).ExecuteDeleteAsync(ct);
        db.DestroyKeyFilesAfterCommit(subject);
        return shredded;
    }

    private IQueryable<PersonalValue> ValuesOf(string subjectId, string category, IReadOnlyCollection<string> tokens) =>
        tokens.Count == 0
            ? db.Values.Where(v => v.SubjectId == subjectId && v.Category == category)
            : db.Values.Where(v => v.SubjectId == subjectId && v.Category == category && tokens.Contains(v.Token));

    /// <summary>Holds that stand against removing the subject's data, or only <paramref name="category"/> of it.</summary>
    private async Task<List<LegalHold>> HoldsAsync(string subjectId, string? category, CancellationToken ct)
    {
        var categories = category is not null
            ? [category]
            : await db.Values.Where(v => v.SubjectId == subjectId).Select(v => v.Category).Distinct().ToListAsync(ct);
        return await db.LegalHolds.AsNoTracking()
            .Where(h => h.ReleasedAt == null &&
                        ((h.SubjectId == subjectId && (h.Category == null || categories.Contains(h.Category))) ||
                         (h.SubjectId == null && h.Category != null && categories.Contains(h.Category))))
            .ToListAsync(ct);
    }

    private async Task RefuseAsync(string subjectId, string action, string accessor, List<LegalHold> holds, CancellationToken ct)
    {
        await accessLog.AppendAsync(db, ct, new AccessRecord(action, "denied", subjectId, accessor,
            Detail: "legal-hold=" + string.Join(',', holds.Select(h => $"{h.HoldId}:{h.ReasonCode}"))));
        Log.ErasureBlocked(logger, subjectId, holds.Count);
    }

    private Guid Certify(string subjectId, string reason, int values, DateTimeOffset now)
    {
        var certificateId = MassTransit.NewId.NextGuid();
        db.DeletionCertificates.Add(new DeletionCertificate { CertificateId = certificateId, SubjectId = subjectId, Reason = reason, ValuesShredded = values, ErasedAt = now });
        return certificateId;
    }

    /// <summary>The vault's spelling of a contract category.</summary>
    public static string CategoryName(DataCategory category) => category.ToString().ToLowerInvariant();
}
