using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Workers;

namespace PrivacySuite.Vault.Model;

public sealed record StoredValue(string Token, string Field);

public sealed record ClearValue(string Token, string SubjectId, string Category, string Field, string Value, string Source, string LegalBasis,
    DateTimeOffset StoredAt, DateTimeOffset UpdatedAt, IReadOnlyList<string> BasisPurposes);

/// <summary>
/// Who asks and why: the purpose, and a processor or an approval where the read needs one. <paramref name="SecondFactor"/>:
/// the caller showed a valid step-up token for the purpose (<see cref="StepUpVerifier"/>).
/// </summary>
public sealed record ReadContext(string Accessor, string Purpose, string? ProcessorId = null, Guid? ApprovalId = null, bool SecondFactor = false);

/// <summary>The vault's domain operations, each in one transaction, each written to the access log.</summary>
public sealed partial class VaultService(
    VaultDbContext db,
    Keyring keyring,
    ConsentGate consent,
    PurposeCatalogue catalogue,
    AccessLogBook accessLog,
    AccessLogAppender appender,
    MacKeys macs,
    IOptions<VaultOptions> options,
    TimeProvider time,
    ILogger<VaultService> logger)
{
    public const int MaxFields = 32;
    public const int MaxValueLength = 4096;
    public const int MaxTokensPerRead = 100;

    /// <summary>The most purposes one non-consent basis may be recorded for (the catalogue has about a dozen).</summary>
    public const int MaxBasisPurposes = 20;

    [GeneratedRegex("^[a-z][a-z0-9_]{0,31}$")]
    public static partial Regex FieldName();

    public VaultDbContext Db => db;

    /// <summary>
    /// Stores or replaces fields of one category; a replaced field keeps its token and gets a new version, and the basis
    /// and <paramref name="basisPurposes"/> given now (see <see cref="BasisRefusalAsync"/>).
    /// </summary>
    public async Task<IReadOnlyList<StoredValue>> StoreAsync(string subjectId, string category, string source, string basis,
        IReadOnlyList<string> basisPurposes, IReadOnlyDictionary<string, string> fields, string accessor, string action, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // Joins the caller's transaction when there is one (anonymisation moves values inside its own).
        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        var subject = await keyring.LockOrCreateAsync(db, subjectId, now, ct);
        if (subject.ErasedAt is not null)
        {
            throw new SubjectErasedException();
        }

        if (keyring.KeyFileGone(subject))
        {
            throw new SubjectErasedException(); // a restored row of a subject whose erasure deleted its key file
        }

        var existing = await ValuesOfAsync(subjectId, category, ct);
        await keyring.CountEncryptionsAsync(db, subject, fields.Count, ct);
        // Re-keying may have re-encrypted the existing rows: use the tracked instances.
        var stored = new List<StoredValue>(fields.Count);
        using (var aes = keyring.Open(subject)!)
        {
            foreach (var (field, value) in fields)
            {
                if (!existing.TryGetValue(field, out var row))
                {
                    row = new PersonalValue
                    {
                        Token = "tk_" + MacKeys.Base64Url(RandomNumberGenerator.GetBytes(18)),
                        SubjectId = subjectId,
                        Category = category,
                        Field = field,
                        StoredAt = now,
                    };
                    db.Values.Add(row);
                }

                row.Source = source;
                row.LegalBasis = basis;
                row.BasisPurposes = [.. basisPurposes];
                row.Version++;
                row.KeyGeneration = subject.KeyGeneration;
                row.UpdatedAt = now;
                row.Nonce = Envelope.RandomNonce();
                row.Ciphertext = Envelope.Encrypt(aes, row.Nonce, Encoding.UTF8.GetBytes(value),
                    Envelope.ValueAad(subjectId, category, field, row.Token, row.Version, row.KeyGeneration));
                row.LookupToken = LookupFor(field, value);
                stored.Add(new StoredValue(row.Token, field));
                db.AddIntegrationEvent(new SubjectDataStored(subjectId, Enum.Parse<DataCategory>(category, ignoreCase: true), row.Token, now), now);
            }
        }

        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord(action, "allowed", subjectId, accessor, Category: category,
            Detail: $"fields={fields.Count};basis={basis};" + (basisPurposes.Count > 0 ? $"purposes={string.Join(',', basisPurposes)};" : "") + $"source={source}"));
        if (tx is not null)
        {
            await tx.CommitAsync(ct);
        }

        Log.Stored(logger, fields.Count, category, subjectId);
        return stored;
    }

    /// <summary>The subject's values of one category, tracked, by field: what a store replaces.</summary>
    internal Task<Dictionary<string, PersonalValue>> ValuesOfAsync(string subjectId, string category, CancellationToken ct) =>
        db.Values.Where(v => v.SubjectId == subjectId && v.Category == category).ToDictionaryAsync(v => v.Field, ct);

    /// <summary>
    /// Why values of <paramref name="category"/> may not be stored under a non-consent basis (IWK-1.3) recorded for
    /// <paramref name="purposes"/>, or null when they may: the basis covers only purposes of the consent catalogue, and
    /// only purposes the catalogue gives this category (a basis for a purpose that can never read the data is a mistake).
    /// </summary>
    public async Task<Refusal?> BasisRefusalAsync(string category, IReadOnlyList<string> purposes, CancellationToken ct)
    {
        foreach (var code in purposes)
        {
            var lookup = await catalogue.FindAsync(code, ct);
            if (!lookup.Available)
            {
                return new(503, "The purpose catalogue could not be had from the consent service; try again.", "consent-service-unavailable");
            }

            if (lookup.Purpose is null)
            {
                return new(422, $"'{code}' is not a purpose of the consent catalogue (GET /v1/purposes of the consent service); a legal basis covers only purposes it has.", "unknown-purpose");
            }

            if (!lookup.Purpose.Gives(category))
            {
                return new(422, $"The catalogue does not give category '{category}' to purpose '{code}', so no basis can let that purpose read it.", "category-not-for-purpose");
            }
        }

        return null;
    }

    /// <summary>The keyed lookup token for fields searched by equality (e-mail, phone); null for any other field.</summary>
    public string? LookupFor(string field, string value) => field switch
    {
        "email" => macs.LookupToken("email", value.Trim().ToLowerInvariant()),
        "phone" => macs.LookupToken("phone", new string([.. value.Where(c => char.IsAsciiDigit(c) || c == '+')])),
        _ => null,
    };

    public async Task<Outcome<IReadOnlyList<ClearValue>>> DetokenizeAsync(IReadOnlyCollection<string> tokens, ReadContext read, CancellationToken ct)
    {
        var facts = await ReadFacts.LoadAsync(db, [.. tokens], read.Purpose, consent.FreshSince(), ct);
        if (facts.Rows.Count != tokens.Count)
        {
            return new Refusal(404, "At least one token is not known to this vault.", "unknown-token");
        }

        return await ReadAsync(facts, read, "read", ct);
    }

    /// <summary>Checks a read of <paramref name="rows"/> and, when every part is allowed, logs and decrypts it; otherwise logs the denial.</summary>
    private async Task<Outcome<IReadOnlyList<ClearValue>>> ReadAsync(List<PersonalValue> rows, ReadContext read, string action, CancellationToken ct)
    {
        var subjectIds = rows.Select(r => r.SubjectId).Distinct().ToList();
        var subjects = await db.Subjects.AsNoTracking().Where(s => subjectIds.Contains(s.SubjectId)).ToDictionaryAsync(s => s.SubjectId, ct);
        return await ReadAsync(new ReadFacts(rows, subjects, []), read, action, ct);
    }

    private async Task<Outcome<IReadOnlyList<ClearValue>>> ReadAsync(ReadFacts facts, ReadContext read, string action, CancellationToken ct)
    {
        var (rows, subjects, _) = facts;
        var now = time.GetUtcNow();
        var groups = rows.GroupBy(r => (r.SubjectId, r.Category)).ToList();

        Processor? processor = null;
        if (read.ProcessorId is not null)
        {
            processor = await db.Processors.AsNoTracking().SingleOrDefaultAsync(p => p.ProcessorId == read.ProcessorId, ct);
        }

        var highGroups = groups.Where(g => Categories.Levels[g.Key.Category] == ProtectionLevel.High).ToList();
        Approval? approval = read.ApprovalId is { } approvalId
            ? await db.Approvals.AsNoTracking().SingleOrDefaultAsync(a => a.ApprovalId == approvalId, ct)
            : null;

        var purpose = await catalogue.FindAsync(read.Purpose, ct);
        var records = new List<AccessRecord>();
        string? denial = null;
        foreach (var group in groups)
        {
            var (subjectId, category) = group.Key;
            var subject = subjects[subjectId];
            var reason = await DenialAsync(subject, category, [.. group], purpose, read, processor, approval, highGroups.Count, facts, now, ct);
            denial ??= reason;
            // What carried the read: each value's own basis where it covers the purpose, consent for the rest.
            var carriedBy = group.Select(v => LegalBases.Covers(v, read.Purpose) ? v.LegalBasis : LegalBases.Consent).Distinct().Order(StringComparer.Ordinal);
            records.Add(new AccessRecord(action, reason is null ? "allowed" : "denied", subjectId, read.Accessor, read.Purpose, category,
                read.ProcessorId, reason is null ? $"tokens={group.Count()};basis={string.Join(',', carriedBy)}" : $"reason={reason}"));
        }

        // An approval serves one read: claiming it is a conditional update, so two concurrent reads cannot both use it.
        if (denial is null && approval is not null && highGroups.Count > 0 &&
            await db.Approvals.Where(a => a.ApprovalId == approval.ApprovalId && a.UsedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.UsedAt, now), ct) == 0)
        {
            denial = "approval-required";
            records = [.. records.Select(r => Categories.Levels[r.Category!] == ProtectionLevel.High
                ? r with { Outcome = "denied", Detail = "reason=approval-required" } : r)];
        }

        if (denial is not null)
        {
            // The denial is recorded; nothing else changes.
            await appender.AppendAsync([.. records.Where(r => r.Outcome == "denied")], ct);
            Log.ReadDenied(logger, records.First(r => r.Outcome == "denied").SubjectId!, read.Purpose, denial);
            return new Refusal(403, DenialDetail(denial), denial);
        }

        // Decrypted before the log entry is written (nothing leaves before it is): an erasure that deleted the key files
        // and is committing while this read found the rows is a refusal, not an error.
        List<ClearValue> values;
        try
        {
            values = Decrypt(rows, subjects);
        }
        catch (Exception e) when (e is SubjectKeyGoneException or SubjectErasedException)
        {
            var erased = records.Select(r => r with { Outcome = "denied", Detail = "reason=erased" }).ToList();
            await appender.AppendAsync(erased, ct);
            Log.ReadDenied(logger, erased[0].SubjectId!, read.Purpose, "erased");
            return new Refusal(403, DenialDetail("erased"), "erased");
        }

        await appender.AppendAsync(records, ct, [.. rows.Select(r => (r.SubjectId, r.Token))]);
        return new Outcome<IReadOnlyList<ClearValue>>.Done(values);
    }

    /// <summary>The consent decision kept locally (read with the values when it could be), else the consent gate's answer.</summary>
    private Task<ConsentAnswer> DecideAsync(string subjectId, string purpose, ReadFacts facts, CancellationToken ct) =>
        facts.Decisions.TryGetValue(subjectId, out var kept) ? Task.FromResult(kept) : consent.DecideAsync(db, subjectId, purpose, ct);

    private async Task<string?> DenialAsync(Subject subject, string category, List<PersonalValue> values, PurposeLookup purpose, ReadContext read,
        Processor? processor, Approval? approval, int highGroups, ReadFacts facts, DateTimeOffset now, CancellationToken ct)
    {
        if (subject.WrappedKey is null)
        {
            return "erased";
        }

        // A purpose reads only the categories the catalogue gives it, whatever the basis or consent (PIPL Art. 6, INF-4.1).
        if (!purpose.Available)
        {
            return "consent-service-unavailable";
        }

        if (purpose.Purpose is null)
        {
            return "unknown-purpose";
        }

        if (!purpose.Purpose.Gives(category))
        {
            return "category-not-for-purpose";
        }

        if (read.ProcessorId is not null && processor is null)
        {
            return "processor-not-registered";
        }

        if (processor is not null && !processor.Purposes.Contains(read.Purpose))
        {
            return "processor-not-instructed";
        }

        // A sensitive category (IWK-2.2, PIPL Art. 28-29) is read either with a privacy officer's approval of this one read
        // (a disclosure outside what the subject agreed to), or by the caller's second factor and the subject's separate
        // consent to the category for the purpose, whatever basis the values carry.
        var sensitive = Categories.Levels[category] == ProtectionLevel.High;
        if (sensitive && read.ApprovalId is not null)
        {
            if (approval is null || highGroups > 1 || approval.UsedAt is not null || approval.ExpiresAt <= now ||
                approval.SubjectId != subject.SubjectId || approval.Category != category || approval.Purpose != read.Purpose ||
                approval.Accessor != read.Accessor)
            {
                return "approval-required";
            }
        }
        else if (sensitive && !read.SecondFactor)
        {
            return "second-factor-required";
        }

        var separateConsent = sensitive && read.ApprovalId is null;

        // A non-consent basis (IWK-1.3) carries the read only for the purposes it was recorded for; consent-based values,
        // and values whose basis was recorded for other purposes, need the consent decision for this one.
        if (separateConsent || !values.TrueForAll(v => LegalBases.Covers(v, read.Purpose)))
        {
            var (allowed, why, separately) = await DecideAsync(subject.SubjectId, read.Purpose, facts, ct);
            if (!allowed)
            {
                return why;
            }

            if (separateConsent && Array.IndexOf(separately, category) < 0)
            {
                return "separate-consent-required";
            }

            if (subject.IsMinor)
            {
                if (subject.GuardianSubjectId is null)
                {
                    return "no-guardian-consent";
                }

                var (guardianAllowed, guardianWhy, _) = await DecideAsync(subject.GuardianSubjectId, read.Purpose, facts, ct);
                if (!guardianAllowed)
                {
                    return guardianWhy == "no-consent" ? "no-guardian-consent" : guardianWhy;
                }
            }
        }

        return null;
    }

    private static string DenialDetail(string reason) => reason switch
    {
        "erased" => "The subject's data was erased; it can no longer be read.",
        "processor-not-registered" => "The named processor is not registered with the vault (INF-5.2).",
        "processor-not-instructed" => "The named processor is not instructed for this purpose (INF-5.2).",
        "approval-required" => "The approval given does not serve this read: an approval is unused, unexpired, and for this one subject, category, purpose and accessor (IWK-2.2).",
        "second-factor-required" => $"This category is sensitive (identity, location): the read needs the caller's step-up token for this purpose in the {StepUpVerifier.Header} header (IWK-2.2) and the subject's separate consent, or a privacy officer's approval of this one read (approvalId).",
        "separate-consent-required" => "This category is sensitive: the subject has not separately consented to it for this purpose (PIPL Art. 29). The consent to the purpose must name it in sensitiveCategories.",
        "no-consent" => "The subject has not consented to this purpose, and the data carries no other legal basis for it.",
        "unknown-purpose" => "The purpose is not in the consent service's purpose catalogue (GET /v1/purposes).",
        "category-not-for-purpose" => "The purpose catalogue does not give this data category to this purpose: it is never read for it, whatever the legal basis or consent.",
        "no-guardian-consent" => "The subject is a minor and the guardian has not consented to this purpose (IWK-3.2).",
        "consent-service-unavailable" => "The consent service could not be asked (for its decision or its purpose catalogue); try again.",
        "consent-changing" => "The subject's consent or the policy changed moments ago and the consent service's answer does not reflect it yet; try again.",
        _ => reason,
    };

    public List<ClearValue> Decrypt(IEnumerable<PersonalValue> rows, IReadOnlyDictionary<string, Subject> subjects)
    {
        var values = new List<ClearValue>();
        foreach (var bySubject in rows.GroupBy(r => r.SubjectId))
        {
            AesGcm? opened;
            try
            {
                opened = keyring.Open(subjects[bySubject.Key]);
            }
            catch (SubjectKeyGoneException)
            {
                opened = null; // the key file is gone: erased, whatever the row (perhaps a restored one) says
            }

            using var aes = opened ?? throw new SubjectErasedException();
            foreach (var v in bySubject)
            {
                var clear = Envelope.Decrypt(aes, v.Nonce, v.Ciphertext, Envelope.ValueAad(v.SubjectId, v.Category, v.Field, v.Token, v.Version, v.KeyGeneration));
                values.Add(new ClearValue(v.Token, v.SubjectId, v.Category, v.Field, Encoding.UTF8.GetString(clear), v.Source, v.LegalBasis, v.StoredAt, v.UpdatedAt,
                    v.BasisPurposes));
            }
        }

        return values;
    }

    /// <summary>All of a subject's values, decrypted, for the subject's own access or export (identity already verified).</summary>
    public async Task<IReadOnlyList<ClearValue>?> SubjectOwnDataAsync(string subjectId, string action, string accessor, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(s => s.SubjectId == subjectId, ct);
        if (subject?.WrappedKey is null)
        {
            return null;
        }

        var rows = await db.Values.AsNoTracking().Where(v => v.SubjectId == subjectId).OrderBy(v => v.Category).ThenBy(v => v.Field).ToListAsync(ct);
        List<ClearValue> values;
        try
        {
            values = Decrypt(rows, new Dictionary<string, Subject> { [subjectId] = subject });
        }
        catch (SubjectErasedException)
        {
            return null; // the key file is gone: the same answer as for an erased row
        }

        await accessLog.AppendAsync(db, ct, new AccessRecord(action, "allowed", subjectId, accessor, Purpose: "subject-rights",
            Detail: $"values={rows.Count};identity=verified"));
        await tx.CommitAsync(ct);
        return values;
    }

    public abstract record ErasureResult
    {
        public sealed record Erased(Guid CertificateId, DateTimeOffset ErasedAt) : ErasureResult;
        public sealed record Blocked(IReadOnlyList<LegalHold> Holds) : ErasureResult;
        public sealed record Unknown : ErasureResult;
    }

    /// <summary>
    /// Crypto-shredding: the subject's data key is destroyed, unless a legal hold protects the subject's data. Joins the
    /// caller's transaction when there is one, else runs in its own. An erasure done now is announced with
    /// <see cref="SubjectErased"/>, so every service that keeps something of the subject forgets it.
    /// </summary>
    public async Task<ErasureResult> EraseAsync(string subjectId, string reason, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        await using (own)
        {
            var (result, shreddedNow) = await EraseLockedAsync(subjectId, reason, accessor, now, certifyUnknown: false, ct);
            if (shreddedNow && result is ErasureResult.Erased erased)
            {
                db.AddIntegrationEvent(new SubjectErased(subjectId, erased.CertificateId, now, Regions: AllRegions), now);
            }

            await db.SaveChangesAsync(ct);
            if (own is not null)
            {
                await own.CommitAsync(ct);
            }

            return result;
        }
    }

    /// <summary>
    /// Erases a whole subject in the caller's transaction. A subject the vault holds nothing of is certified erased with
    /// nothing shredded when <paramref name="certifyUnknown"/> (another service knows of it), else unknown. Says whether the
    /// key was shredded now (not before, not refused).
    /// </summary>
    private async Task<(ErasureResult Result, bool ShreddedNow)> EraseLockedAsync(string subjectId, string reason, string accessor, DateTimeOffset now,
        bool certifyUnknown, CancellationToken ct)
    {
        var subject = await keyring.LockAsync(db, subjectId, ct);
        if (subject is null)
        {
            if (!certifyUnknown)
            {
                return (new ErasureResult.Unknown(), false);
            }

            // Another service knows the subject but this vault holds nothing: there is nothing to shred, and the certificate says so.
            var none = Certify(subjectId, reason, 0, now);
            await accessLog.AppendAsync(db, ct, new AccessRecord("erasure", "allowed", subjectId, accessor, Detail: $"certificate={none};values=0;unknown-subject"));
            return (new ErasureResult.Erased(none, now), false);
        }

        if (subject.ErasedAt is { } erasedAt)
        {
            var certificate = await db.DeletionCertificates.AsNoTracking().Where(c => c.SubjectId == subjectId).OrderBy(c => c.ErasedAt)
                .Select(c => c.CertificateId).FirstAsync(ct);
            return (new ErasureResult.Erased(certificate, erasedAt), false);
        }

        var holds = await HoldsAsync(subjectId, null, ct);
        if (holds.Count > 0)
        {
            await RefuseAsync(subjectId, "erasure", accessor, holds, ct);
            return (new ErasureResult.Blocked(holds), false);
        }

        var shredded = await ShredAsync(subject, now, ct);
        // Reads of an erased subject are refused by its key; what was known of its consent goes too (only ids, but kept for nothing).
        await db.ConsentDecisions.Where(d => d.SubjectId == subjectId).ExecuteDeleteAsync(ct);
        await db.Database.ExecuteSqlAsync($"delete from consent_changes where subject_id = {subjectId}", ct);
        var certificateId = Certify(subjectId, reason, shredded, now);
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("erasure", "allowed", subjectId, accessor, Detail: $"certificate={certificateId};values={shredded}"));
        Log.Erased(logger, subjectId, certificateId);
        return (new ErasureResult.Erased(certificateId, now), true);
    }
}

/// <summary>A write to a subject whose key was shredded: a new subject id is needed.</summary>
public sealed class SubjectErasedException() : InvalidOperationException("The subject was erased.");
