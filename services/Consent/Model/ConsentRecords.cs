namespace PrivacySuite.Consent.Model;

/// <summary>A guardian who consents for a minor, with the proof from the vault (see <see cref="ConsentRecords.GrantAsync"/>).</summary>
public sealed record GuardianClaim(string GuardianId, Guid VerificationId, string Code);

/// <summary>
/// A grant as the subject gave it: the purpose, the policy version shown, how and where it was collected, the guardian
/// for a minor, a non-consent legal basis with its case reference instead of consent, and the purpose's sensitive
/// categories the subject separately agreed to.
/// </summary>
public sealed record ConsentGrant(string Purpose, string PolicyVersion, string CollectionMethod, string Jurisdiction, GuardianClaim? Guardian,
    LegalBasis? LegalBasis, string? BasisReference, IReadOnlyList<DataCategory>? SensitiveCategories);

/// <summary>A subject and whether a guardian must consent for them under their policy today.</summary>
public sealed record SubjectStanding(Subject Subject, bool NeedsGuardianConsent);

/// <summary>
/// The verbs of a subject's consents: register, grant, withdraw (a purpose, or the separate consent to one sensitive
/// category), cancel the account. Each takes the subject's row lock, decides, records the change with its history and
/// event in one transaction, and forgets this replica's cached decisions. The subject's changes carry times read under
/// the lock, so they are in the order they commit (the check's answers and the events are compared by them).
/// </summary>
public sealed class ConsentRecords(
    ConsentDbContext db,
    PurposeCatalogue catalogue,
    DecisionCache cache,
    ReceiptSigner signer,
    GuardianVerifier guardians,
    TimeProvider time,
    ILogger<ConsentRecords> logger)
{
    public async Task<Outcome<SubjectStanding>> RegisterAsync(string subjectId, string policyId, DateOnly? birthDate, string? ageBand,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (birthDate is null && ageBand is null)
        {
            return Refusal.Invalid("birthDate", "Give the birth date or, where it is not collected, the age band.");
        }

        if (birthDate is { } birth && (birth > today || birth < today.AddYears(-130)))
        {
            return Refusal.Invalid("birthDate", "The birth date must lie within the last 130 years and not in the future.");
        }

        var policies = (await catalogue.GetAsync(cancellationToken)).Policies;
        if (!policies.TryGetValue(policyId, out var policy))
        {
            return Refusal.Unprocessable($"There is no policy '{policyId}'. Known policies: {string.Join(", ", policies.Keys)}.");
        }

        var subject = new Subject
        {
            SubjectId = subjectId,
            PolicyId = policy.PolicyId,
            BirthDate = birthDate,
            AgeBand = ageBand,
            Status = SubjectStatus.Active,
            RegisteredAt = now,
        };
        db.Subjects.Add(subject);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return Refusal.Conflict("This subject id is already registered.");
        }

        return new SubjectStanding(subject, ConsentRules.IsMinor(subject, policy.GuardianAge, today));
    }

    /// <summary>
    /// Records a grant (or a non-consent basis, audited) and signs its receipt. A grant replaces the subject's previous one
    /// for the purpose, its separate consents included. A minor's grant spends the guardian's code at the vault, checked
    /// here last so that a code is spent only for a grant that can be recorded.
    /// </summary>
    public async Task<Outcome<(ConsentRecord Record, string? Receipt)>> GrantAsync(string subjectId, ConsentGrant grant, string actor,
        CancellationToken cancellationToken)
    {
        var basis = grant.LegalBasis ?? LegalBasis.Consent;
        if (basis != LegalBasis.Consent && grant.BasisReference is null)
        {
            return Refusal.Invalid("basisReference", "A non-consent legal basis needs a case reference, for the audit.");
        }

        var sensitive = grant.SensitiveCategories ?? [];
        if (sensitive.Distinct().Count() != sensitive.Count)
        {
            return Refusal.Invalid("sensitiveCategories", "Name each category once.");
        }

        foreach (var category in sensitive.Where(c => !SensitiveCategories.All.Contains(c)))
        {
            return Refusal.Invalid("sensitiveCategories",
                $"'{category}' is not a sensitive category; only {string.Join(" and ", SensitiveCategories.All)} take a separate consent.");
        }

        if (sensitive.Count > 0 && basis != LegalBasis.Consent)
        {
            return Refusal.Invalid("sensitiveCategories", "A separate consent is consent: it cannot be recorded with another legal basis.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        // A guardian's row is locked with the subject's, so the guardian cannot be cancelled or erased while they consent.
        var (subject, guardian) = await LockSubjectAndGuardianAsync(subjectId, grant.Guardian?.GuardianId, cancellationToken);
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (subject is null)
        {
            return Refusal.NotFound("No subject with this id is registered.");
        }

        if (subject.Status == SubjectStatus.Erased)
        {
            return Refusal.Conflict("The subject was erased; no consent can be given. A new registration needs a new subject id.");
        }

        if (subject.Status == SubjectStatus.Cancelled)
        {
            return Refusal.Conflict("The subject's account is cancelled; no consent can be given.");
        }

        var current = await catalogue.ReloadAsync(cancellationToken);
        if (!current.Purposes.TryGetValue(grant.Purpose, out var purpose))
        {
            return Refusal.Unprocessable($"There is no purpose '{grant.Purpose}' in the catalogue (GET /v1/purposes).");
        }

        if (purpose.PolicyId != subject.PolicyId)
        {
            return Refusal.Unprocessable($"Purpose '{purpose.Code}' belongs to policy '{purpose.PolicyId}', not to the subject's policy '{subject.PolicyId}'.",
                DecisionReasons.PurposeOfAnotherPolicy);
        }

        if (purpose.SeparateConsent && basis != LegalBasis.Consent)
        {
            return Refusal.Unprocessable($"Purpose '{purpose.Code}' needs the subject's separate consent; no other legal basis can be recorded for it.",
                DecisionReasons.SeparateConsentRequired);
        }

        foreach (var category in sensitive.Where(c => !purpose.DataCategories.Contains(c.ToString())))
        {
            return Refusal.Unprocessable($"Purpose '{purpose.Code}' does not use category '{category}'; a separate consent is for a category the purpose uses.",
                DecisionReasons.CategoryNotForPurpose);
        }

        var policy = current.Policies[subject.PolicyId];
        var shown = await db.PolicyVersions.AsNoTracking()
            .SingleOrDefaultAsync(v => v.PolicyId == policy.PolicyId && v.Version == grant.PolicyVersion, cancellationToken);
        if (shown is null)
        {
            return Refusal.Unprocessable($"Policy '{policy.PolicyId}' has no version '{grant.PolicyVersion}'; the current one is '{policy.CurrentVersion}'.");
        }

        if (shown.Sequence < purpose.ChangedInSequence)
        {
            return Refusal.Conflict(
                $"Purpose '{purpose.Code}' changed in policy version '{purpose.ChangedInVersion}'; show that version (or '{policy.CurrentVersion}') and ask again.",
                new Dictionary<string, object?> { ["currentVersion"] = policy.CurrentVersion });
        }

        // IWK-3.1: a minor's consent needs the guardian's; PIPL's 14 is the floor of any policy's guardian age.
        if (basis == LegalBasis.Consent && grant.Guardian is null && ConsentRules.IsMinor(subject, policy.GuardianAge, today))
        {
            return Refusal.Unprocessable(
                $"The subject is under the guardian age of policy '{policy.PolicyId}' ({policy.GuardianAge}): consent needs a verified guardian's consent. " +
                "Send it in 'guardian': guardianId, and the verificationId and code of the vault's guardian verification.",
                DecisionReasons.GuardianConsentRequired);
        }

        // Issue 18.3: a guardian is a registered adult other than the subject, proved by the code sent to their own contact.
        if (grant.Guardian is { } claim &&
            (ConsentRules.GuardianRefusal(subject, claim.GuardianId, guardian, policy, guardian is null ? null : current.Policies.GetValueOrDefault(guardian.PolicyId), today)
             ?? await guardians.RedeemAsync(claim.VerificationId, claim.GuardianId, subjectId, claim.Code, cancellationToken)) is { } refused)
        {
            return refused.ToRefusal();
        }

        var receiptId = basis == LegalBasis.Consent ? Guid.CreateVersion7(now) : (Guid?)null;
        string? receipt = null;
        if (receiptId is { } id)
        {
            receipt = await signer.SignAsync(Receipt(id, subject, purpose, policy, grant, now), cancellationToken);
        }

        var record = await db.Consents.SingleOrDefaultAsync(c => c.SubjectId == subjectId && c.Purpose == purpose.Code, cancellationToken);
        if (record is null)
        {
            record = new ConsentRecord { SubjectId = subjectId, Purpose = purpose.Code };
            db.Consents.Add(record);
        }

        record.State = ConsentState.Granted;
        record.Basis = basis.ToString();
        record.PolicyVersion = shown.Version;
        record.PolicySequence = shown.Sequence;
        record.CollectionMethod = grant.CollectionMethod;
        record.Jurisdiction = grant.Jurisdiction;
        record.GuardianId = grant.Guardian?.GuardianId;
        record.GuardianVerificationId = grant.Guardian?.VerificationId;
        record.GuardianVerification = null;
        record.BasisReference = grant.BasisReference;
        record.SensitiveCategories = [.. sensitive.Select(c => c.ToString())];
        record.ChangedAt = now;
        record.ReceiptId = receiptId;

        db.ConsentHistory.Add(new ConsentHistoryEntry
        {
            SubjectId = subjectId,
            Purpose = purpose.Code,
            Action = HistoryAction.Granted,
            Basis = record.Basis,
            PolicyVersion = shown.Version,
            CollectionMethod = grant.CollectionMethod,
            Jurisdiction = grant.Jurisdiction,
            GuardianId = record.GuardianId,
            GuardianVerificationId = record.GuardianVerificationId,
            BasisReference = grant.BasisReference,
            SensitiveCategories = record.SensitiveCategories,
            Actor = actor,
            At = now,
            ReceiptId = receiptId,
            Receipt = receipt,
        });

        if (basis != LegalBasis.Consent)
        {
            db.LegalBasisAudit.Add(new LegalBasisAuditEntry
            {
                SubjectId = subjectId,
                Purpose = purpose.Code,
                Basis = record.Basis,
                Reference = grant.BasisReference!,
                Actor = actor,
                At = now,
            });
            Log.LegalBasisRecorded(logger, record.Basis, purpose.Code, actor);
        }

        db.AddIntegrationEvent(new ConsentGranted(subjectId, purpose.Code, shown.Version, grant.CollectionMethod, grant.Jurisdiction, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        cache.Invalidate(subjectId, purpose.Code);
        return (record, receipt);
    }

    /// <summary>Withdraws consent to a purpose that is not essential (INF-6.5: essential purposes end only with the account). Twice is once.</summary>
    public async Task<Outcome<ConsentRecord>> WithdrawAsync(string subjectId, string purpose, string actor, CancellationToken cancellationToken)
    {
        var definitions = (await catalogue.GetAsync(cancellationToken)).Purposes;
        if (!definitions.TryGetValue(purpose, out var definition))
        {
            return Refusal.NotFound($"There is no purpose '{purpose}' in the catalogue.");
        }

        if (definition.Essential)
        {
            return Refusal.Conflict(
                $"'{purpose}' is essential to the service and cannot be withdrawn on its own. The way out is to cancel the account: " +
                $"POST /v1/subjects/{subjectId}/cancellation.",
                new Dictionary<string, object?> { ["cancellation"] = $"/v1/subjects/{subjectId}/cancellation" });
        }

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var found = await LockedRecordAsync(subjectId, purpose, cancellationToken);
        if (found is not Outcome<ConsentRecord>.Done { Value: var record })
        {
            return found;
        }

        var now = time.GetUtcNow();

        if (record.State == ConsentState.Withdrawn)
        {
            return record;
        }

        End(record, HistoryAction.Withdrawn, actor, now);
        db.AddIntegrationEvent(new ConsentWithdrawn(subjectId, purpose, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        cache.Invalidate(subjectId, purpose);
        return record;
    }

    /// <summary>
    /// Withdraws the separate consent to one sensitive category of a purpose (PIPL Art. 29, 15): the purpose stays, the
    /// vault stops reading that category for it. Allowed for essential purposes too: the category, not the service, ends.
    /// Withdrawing twice, or what was never given, is withdrawing once.
    /// </summary>
    public async Task<Outcome<ConsentRecord>> WithdrawSensitiveAsync(string subjectId, string purpose, DataCategory category, string actor,
        CancellationToken cancellationToken)
    {
        if (!SensitiveCategories.All.Contains(category))
        {
            return Refusal.Invalid("category", $"A separate consent is for {string.Join(" or ", SensitiveCategories.All)}.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var found = await LockedRecordAsync(subjectId, purpose, cancellationToken);
        if (found is not Outcome<ConsentRecord>.Done { Value: var record })
        {
            return found;
        }

        var now = time.GetUtcNow();

        var name = category.ToString();
        if (!record.SensitiveCategories.Contains(name))
        {
            return record;
        }

        record.SensitiveCategories = [.. record.SensitiveCategories.Where(c => c != name)];
        record.ChangedAt = now;
        db.ConsentHistory.Add(new ConsentHistoryEntry
        {
            SubjectId = subjectId,
            Purpose = purpose,
            Action = HistoryAction.SensitiveWithdrawn,
            Basis = record.Basis,
            PolicyVersion = record.PolicyVersion,
            Category = name,
            Actor = actor,
            At = now,
        });
        db.AddIntegrationEvent(new SensitiveConsentWithdrawn(subjectId, purpose, category, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        cache.Invalidate(subjectId, purpose);
        return record;
    }

    /// <summary>Cancels the account: every granted purpose ends, the essential ones included (INF-6.5), and retention's clock starts.</summary>
    public async Task<Outcome<(DateTimeOffset CancelledAt, IReadOnlyList<string> EndedPurposes)>> CancelAsync(string subjectId, string actor,
        CancellationToken cancellationToken)
    {
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var subject = await LockSubjectAsync(subjectId, cancellationToken);
        var now = time.GetUtcNow();
        if (subject is null)
        {
            return Refusal.NotFound("No subject with this id is registered.");
        }

        if (subject.Status == SubjectStatus.Erased)
        {
            return Refusal.Conflict("The subject was erased; there is no account left to cancel.");
        }

        if (subject.Status == SubjectStatus.Cancelled)
        {
            return Refusal.Conflict($"The account was already cancelled at {subject.CancelledAt:O}.");
        }

        subject.Status = SubjectStatus.Cancelled;
        subject.CancelledAt = now;
        var granted = await db.Consents.Where(c => c.SubjectId == subjectId && c.State == ConsentState.Granted).ToListAsync(cancellationToken);
        foreach (var record in granted)
        {
            End(record, HistoryAction.Cancelled, actor, now);
        }

        db.AddIntegrationEvent(new AccountCancelled(subjectId, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        cache.InvalidateSubject(subjectId);
        return (now, granted.Select(g => g.Purpose).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>The subject's row and the guardian's (when named), locked in the order of their ids, so that two grants naming each other cannot deadlock.</summary>
    private async Task<(Subject? Subject, Subject? Guardian)> LockSubjectAndGuardianAsync(string subjectId, string? guardianId, CancellationToken cancellationToken)
    {
        var rows = await db.Subjects.FromSql($"select * from subjects where subject_id = {subjectId} or subject_id = {guardianId ?? subjectId} order by subject_id for update")
            .ToListAsync(cancellationToken);
        return (rows.SingleOrDefault(s => s.SubjectId == subjectId), guardianId is null ? null : rows.SingleOrDefault(s => s.SubjectId == guardianId));
    }

    /// <summary>
    /// Ends a granted consent (a withdrawal, or the account's cancellation) and records it: no receipt stands for it any
    /// more, and its separate consents end with it (a new grant asks for them again).
    /// </summary>
    private void End(ConsentRecord record, string action, string actor, DateTimeOffset now)
    {
        record.State = ConsentState.Withdrawn;
        record.ChangedAt = now;
        record.ReceiptId = null;
        record.SensitiveCategories = [];
        db.ConsentHistory.Add(new ConsentHistoryEntry
        {
            SubjectId = record.SubjectId,
            Purpose = record.Purpose,
            Action = action,
            Basis = record.Basis,
            PolicyVersion = record.PolicyVersion,
            Actor = actor,
            At = now,
        });
    }

    /// <summary>Takes the subject's lock and finds the subject's record for the purpose, or says why there is none.</summary>
    private async Task<Outcome<ConsentRecord>> LockedRecordAsync(string subjectId, string purpose, CancellationToken cancellationToken)
    {
        if (await LockSubjectAsync(subjectId, cancellationToken) is null)
        {
            return Refusal.NotFound("No subject with this id is registered.");
        }

        var record = await db.Consents.SingleOrDefaultAsync(c => c.SubjectId == subjectId && c.Purpose == purpose, cancellationToken);
        return record is null ? Refusal.NotFound("The subject never consented to this purpose.") : record;
    }

    /// <summary>The subject's row is the lock that orders every change to its consents.</summary>
    private Task<Subject?> LockSubjectAsync(string subjectId, CancellationToken cancellationToken) =>
        db.Subjects.FromSql($"select * from subjects where subject_id = {subjectId} for update").SingleOrDefaultAsync(cancellationToken);

    private static ConsentReceipt Receipt(Guid id, Subject subject, Purpose purpose, Policy policy, ConsentGrant grant, DateTimeOffset now) => new(
        "KI-CR-v1.1.0",
        id,
        grant.Jurisdiction,
        now.ToUnixTimeSeconds(),
        grant.CollectionMethod,
        subject.SubjectId,
        policy.Controller,
        policy.PolicyId,
        grant.PolicyVersion,
        [new ReceiptPurpose(
            purpose.Code,
            purpose.NameEn,
            "EXPLICIT",
            nameof(LegalBasis.Consent),
            purpose.DataCategories,
            purpose.Essential,
            purpose.Essential ? "Ends with account cancellation" : "Ends with withdrawal or account cancellation",
            purpose.ThirdPartyRecipient is not null,
            purpose.ThirdPartyRecipient)],
        purpose.SeparateConsent || grant.SensitiveCategories is { Count: > 0 },
        grant.Guardian?.GuardianId,
        grant.Guardian?.VerificationId.ToString());
}
