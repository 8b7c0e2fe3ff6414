namespace PrivacySuite.Consent.Model;

/// <summary>A purpose a policy version adds to the catalogue.</summary>
public sealed record NewPurpose(string Code, string NameEn, string NameZh, bool Essential, LegalBasis DefaultBasis, IReadOnlyList<DataCategory> DataCategories,
    string? ThirdPartyRecipient, bool SeparateConsent);

/// <summary>
/// A policy version as the privacy officer publishes it: the purposes it changes (PIPL Art. 14) and adds, a raised
/// guardian age, what every subject is told (INF-7.1), and its full text in both languages.
/// </summary>
public sealed record PolicyVersionDraft(string Version, IReadOnlyList<string> ChangedPurposes, IReadOnlyList<NewPurpose> NewPurposes, int? GuardianAge,
    DateOnly EffectiveDate, string SummaryEn, string SummaryZhCn, string ReviewUrl, string TextEn, string TextZhCn);

/// <summary>
/// Publishing a policy version: earlier consent to the changed purposes stops counting, new purposes join the
/// catalogue, a raised guardian age finds the subjects it turns into minors, and every subject of the policy is told
/// (PolicyAnnouncer pages through them after the commit). Versions are never rewritten.
/// </summary>
public sealed class PolicyPublishing(ConsentDbContext db, PurposeCatalogue catalogue, DecisionCache cache, TimeProvider time, ILogger<PolicyPublishing> logger)
{
    public async Task<Outcome<(PolicyVersion Version, int GuardianAge)>> PublishAsync(string policyId, PolicyVersionDraft draft, CancellationToken cancellationToken)
    {
        var changed = draft.ChangedPurposes;
        var added = draft.NewPurposes;
        if (changed.Any(c => !PurposeCode.TryParse(c, out _)))
        {
            return Refusal.Invalid("changedPurposes", "A purpose code is 1-64 lower-case letters, digits or . _ -");
        }

        if (changed.Concat(added.Select(a => a.Code)).GroupBy(c => c, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            return Refusal.Invalid("changedPurposes", "Each purpose may appear once, either as changed or as new.");
        }

        var now = time.GetUtcNow();
        if (PolicyAnnouncements.Refusal(draft.EffectiveDate, draft.SummaryEn, draft.SummaryZhCn, draft.ReviewUrl, now) is var (field, message))
        {
            return Refusal.Invalid(field, message);
        }

        foreach (var (textField, value) in new[] { ("text.en", draft.TextEn), ("text.zhCn", draft.TextZhCn) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return Refusal.Invalid(textField, $"The version's full text (Markdown), 1-{PolicyVersionText.MaxLength} characters, not blank.");
            }
        }

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var policy = await db.Policies.FromSql($"select * from policies where policy_id = {policyId} for update").SingleOrDefaultAsync(cancellationToken);
        if (policy is null)
        {
            return Refusal.NotFound($"There is no policy '{policyId}'.");
        }

        if (await db.PolicyVersions.AnyAsync(v => v.PolicyId == policyId && v.Version == draft.Version, cancellationToken))
        {
            return Refusal.Conflict($"Policy '{policyId}' already has a version '{draft.Version}'; versions are never rewritten.");
        }

        var existing = await db.Purposes.Where(p => changed.Contains(p.Code) || added.Select(a => a.Code).Contains(p.Code)).ToListAsync(cancellationToken);
        var unknown = changed.Where(c => !existing.Any(p => p.Code == c && p.PolicyId == policyId)).ToList();
        if (unknown.Count > 0)
        {
            return Refusal.Unprocessable($"These purposes are not in policy '{policyId}': {string.Join(", ", unknown)}. Add new purposes under 'newPurposes'.");
        }

        var clash = added.Where(a => existing.Any(p => p.Code == a.Code)).Select(a => a.Code).ToList();
        if (clash.Count > 0)
        {
            return Refusal.Conflict($"These purposes already exist: {string.Join(", ", clash)}. List them under 'changedPurposes' instead.");
        }

        var allChanged = changed.Concat(added.Select(a => a.Code)).ToList();
        var version = new PolicyVersion
        {
            PolicyId = policyId,
            Version = draft.Version,
            ChangedPurposes = allChanged,
            PublishedAt = now,
            EffectiveDate = draft.EffectiveDate,
            SummaryEn = draft.SummaryEn,
            SummaryZhCn = draft.SummaryZhCn,
            ReviewUrl = draft.ReviewUrl,
        };
        db.PolicyVersions.Add(version);
        await db.SaveChangesAsync(cancellationToken); // assigns the version's sequence
        db.PolicyVersionTexts.Add(new PolicyVersionText { PolicyId = policyId, Version = version.Version, TextEn = draft.TextEn, TextZhCn = draft.TextZhCn });

        foreach (var purpose in existing)
        {
            purpose.ChangedInVersion = version.Version;
            purpose.ChangedInSequence = version.Sequence;
        }

        foreach (var definition in added)
        {
            db.Purposes.Add(new Purpose
            {
                Code = definition.Code,
                PolicyId = policyId,
                NameEn = definition.NameEn,
                NameZh = definition.NameZh,
                Essential = definition.Essential,
                DefaultBasis = definition.DefaultBasis.ToString(),
                DataCategories = definition.DataCategories.Select(c => c.ToString()).ToList(),
                ThirdPartyRecipient = definition.ThirdPartyRecipient,
                SeparateConsent = definition.SeparateConsent,
                ChangedInVersion = version.Version,
                ChangedInSequence = version.Sequence,
            });
        }

        policy.CurrentVersion = version.Version;
        var previousGuardianAge = policy.GuardianAge;
        policy.GuardianAge = draft.GuardianAge ?? policy.GuardianAge;
        var minors = policy.GuardianAge > previousGuardianAge
            ? await MinorDetection.DetectAsync(db, policy, DateOnly.FromDateTime(now.UtcDateTime), now, cancellationToken)
            : 0;

        // INF-7.1 / IWK-0.1: everyone is told, and consent to the changed purposes must be given again.
        db.AddIntegrationEvent(new PolicyVersionPublished(policyId, version.Version, allChanged, now, version.Sequence), now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return Refusal.Conflict($"Policy '{policyId}' already has a version '{draft.Version}', or a new purpose already exists.");
        }

        await catalogue.ReloadAsync(cancellationToken);
        cache.Clear();
        Log.PolicyVersionPublished(logger, policyId, version.Version, allChanged.Count);
        if (minors > 0)
        {
            Log.MinorsWithoutGuardianConsent(logger, policyId, policy.GuardianAge, minors);
        }

        return (version, policy.GuardianAge);
    }
}
