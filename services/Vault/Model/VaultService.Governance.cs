namespace PrivacySuite.Vault.Model;

/// <summary>
/// A subject's profile, the privacy officer's records (processors, approvals, transfer bases), legal disclosures and key
/// rotation: each in one transaction, each written to the access log.
/// </summary>
public sealed partial class VaultService
{
    /// <summary>Records whether the subject is a minor and, if so, the guardian whose consent its reads need (IWK-3.2).</summary>
    public async Task<Outcome<Subject>> SetProfileAsync(string subjectId, bool isMinor, string? guardianSubjectId, string accessor, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var subject = await keyring.LockOrCreateAsync(db, subjectId, time.GetUtcNow(), ct);
        if (subject.ErasedAt is not null)
        {
            return new Refusal(409, "This subject was erased.", "erased");
        }

        subject.IsMinor = isMinor;
        subject.GuardianSubjectId = isMinor ? guardianSubjectId : null;
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("write", "allowed", subjectId, accessor, Detail: $"profile;minor={isMinor}"));
        await tx.CommitAsync(ct);
        return new Outcome<Subject>.Done(subject);
    }

    /// <summary>Registers a processor, or replaces its name and the purposes it is instructed for (INF-5.2).</summary>
    public async Task<Processor> RegisterProcessorAsync(string processorId, string name, IEnumerable<string> purposes, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var processor = await db.Processors.FindAsync([processorId], ct);
        if (processor is null)
        {
            processor = new Processor { ProcessorId = processorId, RegisteredAt = now };
            db.Processors.Add(processor);
        }

        processor.Name = name;
        processor.Purposes = [.. purposes.Distinct()];
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("processor-registered", "allowed", null, accessor, ProcessorId: processorId,
            Detail: "purposes=" + string.Join(',', processor.Purposes)));
        await tx.CommitAsync(ct);
        return processor;
    }

    /// <summary>Approves one read of a highest-level category for one subject, purpose and reader, for the approval lifetime (IWK-2.2).</summary>
    public async Task<Approval> ApproveAsync(string subjectId, string category, string purpose, string reader, string grantedBy, CancellationToken ct)
    {
        var approval = new Approval
        {
            ApprovalId = Guid.NewGuid(),
            SubjectId = subjectId,
            Category = category,
            Purpose = purpose,
            Accessor = reader,
            GrantedBy = grantedBy,
            ExpiresAt = time.GetUtcNow() + options.Value.ApprovalLifetime,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Approvals.Add(approval);
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("approval", "allowed", approval.SubjectId, grantedBy, approval.Purpose, approval.Category,
            Detail: $"approval={approval.ApprovalId};for={approval.Accessor}"));
        await tx.CommitAsync(ct);
        return approval;
    }

    /// <summary>What a legal disclosure gave the authority.</summary>
    public sealed record Disclosure(Guid DisclosureId, IReadOnlyList<ClearValue> Values);

    /// <summary>
    /// Discloses a subject's values of <paramref name="categories"/> to an authority on a legal ground (INF-5.4): logged
    /// per category, and the subject is told unless the law forbids it (<paramref name="withholdingReason"/> says which).
    /// </summary>
    public async Task<Outcome<Disclosure>> DiscloseAsync(string subjectId, string authority, string legalReference, string basis,
        IEnumerable<string> categories, bool notifySubject, string? withholdingReason, string accessor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var disclosureId = Guid.NewGuid();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(x => x.SubjectId == subjectId, ct);
        if (subject is null)
        {
            return new Refusal(404, "The vault holds no data for this subject.", "unknown-subject");
        }

        if (subject.WrappedKey is null)
        {
            return new Refusal(410, "The subject's data was erased; nothing can be disclosed.", "erased");
        }

        var disclosed = categories.Distinct().ToList();
        var rows = await db.Values.AsNoTracking().Where(v => v.SubjectId == subjectId && disclosed.Contains(v.Category)).ToListAsync(ct);
        var detail = $"disclosure={disclosureId};authority={authority};reference={legalReference};basis={basis};" +
                     (notifySubject ? "subject-notified" : $"withheld={withholdingReason}");
        await accessLog.AppendAsync(db, ct, [.. disclosed.Select(c => new AccessRecord("disclosure", "allowed", subjectId, accessor, "legal-disclosure", c, Detail: detail))]);
        if (notifySubject)
        {
            db.AddIntegrationEvent(new NoticeRequested(disclosureId, NoticeTypes.DisclosureNotice, subjectId,
                NoticeVariables.DisclosureNotice(authority, $"{basis}, {legalReference}", disclosed, now), now), now);
            await db.SaveChangesAsync(ct);
        }

        var values = Decrypt(rows, new Dictionary<string, Subject> { [subjectId] = subject });
        await tx.CommitAsync(ct);
        return new Outcome<Disclosure>.Done(new Disclosure(disclosureId, values));
    }

    /// <summary>Records (or replaces) the legal mechanism for transfers to one recipient in one country (PIPL Art. 38).</summary>
    public async Task<TransferBasis> RecordTransferBasisAsync(string country, string recipient, string mechanism, string reference, string accessor,
        CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var basis = await db.TransferBases.SingleOrDefaultAsync(b => b.DestinationCountry == country && b.Recipient == recipient, ct);
        if (basis is null)
        {
            basis = new TransferBasis { BasisId = Guid.NewGuid(), DestinationCountry = country, Recipient = recipient };
            db.TransferBases.Add(basis);
        }

        basis.Mechanism = mechanism;
        basis.Reference = reference;
        basis.RecordedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("transfer-basis", "allowed", null, accessor,
            Detail: $"country={country};recipient={basis.Recipient};mechanism={basis.Mechanism}"));
        await tx.CommitAsync(ct);
        return basis;
    }

    /// <summary>A new key-encryption key version, and every data key re-wrapped with it, without downtime.</summary>
    public async Task<(int KekVersion, int Rewrapped)> RotateKekAsync(string accessor, CancellationToken ct)
    {
        var (version, rewrapped) = await keyring.RotateAsync(db, ct);
        await accessLog.AppendAsync(db, ct, new AccessRecord("key-rotation", "allowed", null, accessor, Detail: $"kek={version};rewrapped={rewrapped}"));
        return (version, rewrapped);
    }
}
