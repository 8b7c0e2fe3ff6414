using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static PrivacySuite.Consent.Apis.ConsentApi;

namespace PrivacySuite.Consent.Apis;

internal static class SubjectApi
{
    private const int HistoryLimit = 1000;

    public static async Task<Results<Created<SubjectView>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterSubjectRequest request, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        var now = services.Time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (request.BirthDate is null && request.AgeBand is null)
        {
            return Invalid("birthDate", "Give the birth date or, where it is not collected, the age band.");
        }

        if (request.BirthDate is { } birth && (birth > today || birth < today.AddYears(-130)))
        {
            return Invalid("birthDate", "The birth date must lie within the last 130 years and not in the future.");
        }

        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        if (!catalogue.Policies.TryGetValue(request.PolicyId, out var policy))
        {
            return Unprocessable($"There is no policy '{request.PolicyId}'. Known policies: {string.Join(", ", catalogue.Policies.Keys)}.");
        }

        var subject = new Subject
        {
            SubjectId = request.SubjectId,
            PolicyId = policy.PolicyId,
            BirthDate = request.BirthDate,
            AgeBand = request.AgeBand,
            Status = SubjectStatus.Active,
            RegisteredAt = now,
        };
        services.Db.Subjects.Add(subject);
        try
        {
            await services.Db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (IsUniqueViolation(e))
        {
            return Conflict("This subject id is already registered.");
        }

        return TypedResults.Created($"/v1/subjects/{subject.SubjectId}/consents", ToView(subject, policy, today));
    }

    public static async Task<Results<Created<GrantedConsent>, ValidationProblem, ProblemHttpResult>> Grant(
        string subjectId, GrantConsentRequest request, ClaimsPrincipal user, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", "A subject id is 1-64 letters, digits or . _ : -");
        }

        var basis = request.LegalBasis ?? LegalBasis.Consent;
        if (basis != LegalBasis.Consent && request.BasisReference is null)
        {
            return Invalid("basisReference", "A non-consent legal basis needs a case reference, for the audit.");
        }

        var sensitive = request.SensitiveCategories ?? [];
        if (sensitive.Distinct().Count() != sensitive.Count)
        {
            return Invalid("sensitiveCategories", "Name each category once.");
        }

        foreach (var category in sensitive.Where(c => !SensitiveCategories.All.Contains(c)))
        {
            return Invalid("sensitiveCategories", $"'{category}' is not a sensitive category; only {string.Join(" and ", SensitiveCategories.All)} take a separate consent.");
        }

        if (sensitive.Count > 0 && basis != LegalBasis.Consent)
        {
            return Invalid("sensitiveCategories", "A separate consent is consent: it cannot be recorded with another legal basis.");
        }

        var db = services.Db;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        // The subject's row is the lock that orders every change to its consents. The time is read under it, so the
        // subject's changes carry times in the order they commit (the check's answers and the events are compared by them).
        // A guardian's row is locked with it, so the guardian cannot be cancelled or erased while they consent.
        var (subject, guardian) = await LockSubjectAndGuardianAsync(db, subjectId, request.Guardian?.GuardianId, cancellationToken);
        var now = services.Time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (subject is null)
        {
            return NotFound("No subject with this id is registered.");
        }

        if (subject.Status == SubjectStatus.Erased)
        {
            return Conflict("The subject was erased; no consent can be given. A new registration needs a new subject id.");
        }

        if (subject.Status == SubjectStatus.Cancelled)
        {
            return Conflict("The subject's account is cancelled; no consent can be given.");
        }

        var catalogue = await services.Catalogue.ReloadAsync(cancellationToken);
        if (!catalogue.Purposes.TryGetValue(request.Purpose, out var purpose))
        {
            return Unprocessable($"There is no purpose '{request.Purpose}' in the catalogue (GET /v1/purposes).");
        }

        if (purpose.PolicyId != subject.PolicyId)
        {
            return Unprocessable($"Purpose '{purpose.Code}' belongs to policy '{purpose.PolicyId}', not to the subject's policy '{subject.PolicyId}'.",
                DecisionReasons.PurposeOfAnotherPolicy);
        }

        if (purpose.SeparateConsent && basis != LegalBasis.Consent)
        {
            return Unprocessable($"Purpose '{purpose.Code}' needs the subject's separate consent; no other legal basis can be recorded for it.",
                DecisionReasons.SeparateConsentRequired);
        }

        foreach (var category in sensitive.Where(c => !purpose.DataCategories.Contains(c.ToString())))
        {
            return Unprocessable($"Purpose '{purpose.Code}' does not use category '{category}'; a separate consent is for a category the purpose uses.",
                DecisionReasons.CategoryNotForPurpose);
        }

        var policy = catalogue.Policies[subject.PolicyId];
        var shown = await db.PolicyVersions.AsNoTracking()
            .SingleOrDefaultAsync(v => v.PolicyId == policy.PolicyId && v.Version == request.PolicyVersion, cancellationToken);
        if (shown is null)
        {
            return Unprocessable($"Policy '{policy.PolicyId}' has no version '{request.PolicyVersion}'; the current one is '{policy.CurrentVersion}'.");
        }

        if (shown.Sequence < purpose.ChangedInSequence)
        {
            return Conflict(
                $"Purpose '{purpose.Code}' changed in policy version '{purpose.ChangedInVersion}'; show that version (or '{policy.CurrentVersion}') and ask again.",
                new Dictionary<string, object?> { ["currentVersion"] = policy.CurrentVersion });
        }

        // IWK-3.1: a minor's consent needs the guardian's; PIPL's 14 is the floor of any policy's guardian age.
        if (basis == LegalBasis.Consent && request.Guardian is null && ConsentRules.IsMinor(subject, policy.GuardianAge, today))
        {
            return Unprocessable(
                $"The subject is under the guardian age of policy '{policy.PolicyId}' ({policy.GuardianAge}): consent needs a verified guardian's consent. " +
                "Send it in 'guardian': guardianId, and the verificationId and code of the vault's guardian verification.",
                DecisionReasons.GuardianConsentRequired);
        }

        // Issue 18.3: a guardian is a registered adult other than the subject, proved by the code sent to their own contact.
        // Checked here first, so that a code is spent only for a guardian who can consent.
        if (request.Guardian is { } claim &&
            (ConsentRules.GuardianRefusal(subject, claim.GuardianId, guardian, policy, guardian is null ? null : catalogue.Policies.GetValueOrDefault(guardian.PolicyId), today)
             ?? await services.Guardians.RedeemAsync(claim.VerificationId, claim.GuardianId, subjectId, claim.Code, cancellationToken)) is { } refused)
        {
            return Refused(refused);
        }

        var actor = user.Actor();
        var receiptId = basis == LegalBasis.Consent ? Guid.CreateVersion7(now) : (Guid?)null;
        string? receipt = null;
        if (receiptId is { } id)
        {
            receipt = await services.Signer.SignAsync(Receipt(id, subject, purpose, policy, request, now), cancellationToken);
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
        record.CollectionMethod = request.CollectionMethod;
        record.Jurisdiction = request.Jurisdiction;
        record.GuardianId = request.Guardian?.GuardianId;
        record.GuardianVerificationId = request.Guardian?.VerificationId;
        record.GuardianVerification = null;
        record.BasisReference = request.BasisReference;
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
            CollectionMethod = request.CollectionMethod,
            Jurisdiction = request.Jurisdiction,
            GuardianId = record.GuardianId,
            GuardianVerificationId = record.GuardianVerificationId,
            BasisReference = request.BasisReference,
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
                Reference = request.BasisReference!,
                Actor = actor,
                At = now,
            });
            Log.LegalBasisRecorded(services.Logger, record.Basis, purpose.Code, actor);
        }

        db.AddIntegrationEvent(new ConsentGranted(subjectId, purpose.Code, shown.Version, request.CollectionMethod, request.Jurisdiction, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        services.Cache.Invalidate(subjectId, purpose.Code);

        return TypedResults.Created($"/v1/subjects/{subjectId}/consents", new GrantedConsent(ToView(record), receipt));
    }

    public static async Task<Results<Ok<ConsentView>, ValidationProblem, ProblemHttpResult>> Withdraw(
        string subjectId, string purpose, ClaimsPrincipal user, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", "A subject id is 1-64 letters, digits or . _ : -");
        }

        if (!PurposeCode.TryParse(purpose, out _))
        {
            return Invalid("purpose", "A purpose code is 1-64 lower-case letters, digits or . _ -");
        }

        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        if (!catalogue.Purposes.TryGetValue(purpose, out var definition))
        {
            return NotFound($"There is no purpose '{purpose}' in the catalogue.");
        }

        // INF-6.5: essential purposes end only with the account.
        if (definition.Essential)
        {
            return Conflict(
                $"'{purpose}' is essential to the service and cannot be withdrawn on its own. The way out is to cancel the account: " +
                $"POST /v1/subjects/{subjectId}/cancellation.",
                new Dictionary<string, object?> { ["cancellation"] = $"/v1/subjects/{subjectId}/cancellation" });
        }

        var db = services.Db;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await LockSubjectAsync(db, subjectId, cancellationToken) is null)
        {
            return NotFound("No subject with this id is registered.");
        }

        var now = services.Time.GetUtcNow(); // under the subject's lock, as in Grant

        var record = await db.Consents.SingleOrDefaultAsync(c => c.SubjectId == subjectId && c.Purpose == purpose, cancellationToken);
        if (record is null)
        {
            return NotFound("The subject never consented to this purpose.");
        }

        if (record.State == ConsentState.Withdrawn)
        {
            // Withdrawing twice is the same as withdrawing once.
            return TypedResults.Ok(ToView(record));
        }

        record.State = ConsentState.Withdrawn;
        record.ChangedAt = now;
        record.ReceiptId = null;
        record.SensitiveCategories = []; // a new grant asks for them again
        db.ConsentHistory.Add(new ConsentHistoryEntry
        {
            SubjectId = subjectId,
            Purpose = purpose,
            Action = HistoryAction.Withdrawn,
            Basis = record.Basis,
            PolicyVersion = record.PolicyVersion,
            Actor = user.Actor(),
            At = now,
        });
        db.AddIntegrationEvent(new ConsentWithdrawn(subjectId, purpose, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        services.Cache.Invalidate(subjectId, purpose);
        return TypedResults.Ok(ToView(record));
    }

    /// <summary>
    /// Withdraws the separate consent to one sensitive category of a purpose (PIPL Art. 29, 15): the purpose stays, the
    /// vault stops reading that category for it. Allowed for essential purposes too: the category, not the service, ends.
    /// </summary>
    public static async Task<Results<Ok<ConsentView>, ValidationProblem, ProblemHttpResult>> WithdrawSensitive(
        string subjectId, string purpose, string category, ClaimsPrincipal user, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", "A subject id is 1-64 letters, digits or . _ : -");
        }

        if (!PurposeCode.TryParse(purpose, out _))
        {
            return Invalid("purpose", "A purpose code is 1-64 lower-case letters, digits or . _ -");
        }

        // By name only (Enum.TryParse would take "4" too).
        if (SensitiveCategories.All.Where(c => string.Equals(c.ToString(), category, StringComparison.OrdinalIgnoreCase))
                .Select(c => (DataCategory?)c).SingleOrDefault() is not { } sensitive)
        {
            return Invalid("category", $"A separate consent is for {string.Join(" or ", SensitiveCategories.All)}.");
        }

        var db = services.Db;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await LockSubjectAsync(db, subjectId, cancellationToken) is null)
        {
            return NotFound("No subject with this id is registered.");
        }

        var now = services.Time.GetUtcNow(); // under the subject's lock, as in Grant
        var record = await db.Consents.SingleOrDefaultAsync(c => c.SubjectId == subjectId && c.Purpose == purpose, cancellationToken);
        if (record is null)
        {
            return NotFound("The subject never consented to this purpose.");
        }

        var name = sensitive.ToString();
        if (!record.SensitiveCategories.Contains(name))
        {
            // Withdrawing twice (or what was never given) is the same as withdrawing once.
            return TypedResults.Ok(ToView(record));
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
            Actor = user.Actor(),
            At = now,
        });
        db.AddIntegrationEvent(new SensitiveConsentWithdrawn(subjectId, purpose, sensitive, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        services.Cache.Invalidate(subjectId, purpose);
        return TypedResults.Ok(ToView(record));
    }

    public static async Task<Results<Ok<SubjectConsents>, ValidationProblem, ProblemHttpResult>> List(
        string subjectId, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", "A subject id is 1-64 letters, digits or . _ : -");
        }

        var db = services.Db;
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(s => s.SubjectId == subjectId, cancellationToken);
        if (subject is null)
        {
            return NotFound("No subject with this id is registered.");
        }

        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        var consents = await db.Consents.AsNoTracking().Where(c => c.SubjectId == subjectId).OrderBy(c => c.Purpose).ToListAsync(cancellationToken);
        var history = await db.ConsentHistory.AsNoTracking().Where(h => h.SubjectId == subjectId)
            .OrderByDescending(h => h.Id).Take(HistoryLimit).ToListAsync(cancellationToken);
        history.Reverse();
        var today = DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime);
        return TypedResults.Ok(new SubjectConsents(
            ToView(subject, catalogue.Policies[subject.PolicyId], today),
            consents.Select(ToView).ToList(),
            history.Select(h => new HistoryView(h.Id, h.Purpose, h.Action, h.Basis, h.PolicyVersion, h.CollectionMethod, h.Jurisdiction,
                h.GuardianId, h.Actor, h.At, h.ReceiptId, h.Receipt, h.GuardianVerificationId, h.SensitiveCategories, h.Category)).ToList()));
    }

    public static async Task<Results<Ok<CancellationView>, ValidationProblem, ProblemHttpResult>> Cancel(
        string subjectId, ClaimsPrincipal user, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", "A subject id is 1-64 letters, digits or . _ : -");
        }

        var db = services.Db;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var subject = await LockSubjectAsync(db, subjectId, cancellationToken);
        var now = services.Time.GetUtcNow(); // under the subject's lock, as in Grant
        if (subject is null)
        {
            return NotFound("No subject with this id is registered.");
        }

        if (subject.Status == SubjectStatus.Erased)
        {
            return Conflict("The subject was erased; there is no account left to cancel.");
        }

        if (subject.Status == SubjectStatus.Cancelled)
        {
            return Conflict($"The account was already cancelled at {subject.CancelledAt:O}.");
        }

        subject.Status = SubjectStatus.Cancelled;
        subject.CancelledAt = now;
        var actor = user.Actor();
        var granted = await db.Consents.Where(c => c.SubjectId == subjectId && c.State == ConsentState.Granted).ToListAsync(cancellationToken);
        foreach (var record in granted)
        {
            record.State = ConsentState.Withdrawn;
            record.ChangedAt = now;
            record.ReceiptId = null;
            db.ConsentHistory.Add(new ConsentHistoryEntry
            {
                SubjectId = subjectId,
                Purpose = record.Purpose,
                Action = HistoryAction.Cancelled,
                Basis = record.Basis,
                PolicyVersion = record.PolicyVersion,
                Actor = actor,
                At = now,
            });
        }

        db.AddIntegrationEvent(new AccountCancelled(subjectId, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        services.Cache.InvalidateSubject(subjectId);
        return TypedResults.Ok(new CancellationView(subjectId, now, granted.Select(g => g.Purpose).Order(StringComparer.Ordinal).ToList()));
    }

    /// <summary>The subject's row and the guardian's (when named), locked in the order of their ids, so that two grants naming each other cannot deadlock.</summary>
    private static async Task<(Subject? Subject, Subject? Guardian)> LockSubjectAndGuardianAsync(ConsentDbContext db, string subjectId, string? guardianId,
        CancellationToken cancellationToken)
    {
        var rows = await db.Subjects.FromSql($"select * from subjects where subject_id = {subjectId} or subject_id = {guardianId ?? subjectId} order by subject_id for update")
            .ToListAsync(cancellationToken);
        return (rows.SingleOrDefault(s => s.SubjectId == subjectId), guardianId is null ? null : rows.SingleOrDefault(s => s.SubjectId == guardianId));
    }

    private static Task<Subject?> LockSubjectAsync(ConsentDbContext db, string subjectId, CancellationToken cancellationToken) =>
        db.Subjects.FromSql($"select * from subjects where subject_id = {subjectId} for update").SingleOrDefaultAsync(cancellationToken);

    private static ConsentReceipt Receipt(Guid id, Subject subject, Purpose purpose, Policy policy, GrantConsentRequest request, DateTimeOffset now) => new(
        "KI-CR-v1.1.0",
        id,
        request.Jurisdiction,
        now.ToUnixTimeSeconds(),
        request.CollectionMethod,
        subject.SubjectId,
        policy.Controller,
        policy.PolicyId,
        request.PolicyVersion,
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
        purpose.SeparateConsent || request.SensitiveCategories is { Count: > 0 },
        request.Guardian?.GuardianId,
        request.Guardian?.VerificationId.ToString());

    private static SubjectView ToView(Subject s, Policy policy, DateOnly today) => new(
        s.SubjectId, s.PolicyId, s.Status, ConsentRules.IsMinor(s, policy.GuardianAge, today), s.RegisteredAt, s.CancelledAt);

    private static ConsentView ToView(ConsentRecord c) => new(
        c.Purpose, c.State, c.Basis, c.PolicyVersion, c.CollectionMethod, c.Jurisdiction, c.GuardianId, c.ChangedAt, c.ReceiptId, c.GuardianVerificationId,
        c.SensitiveCategories);
}
