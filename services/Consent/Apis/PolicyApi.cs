using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static PrivacySuite.Consent.Apis.ConsentApi;

namespace PrivacySuite.Consent.Apis;

internal static class PolicyApi
{
    public static async Task<Results<Created<PolicyVersionView>, ValidationProblem, ProblemHttpResult>> PublishVersion(
        string policyId, PublishPolicyVersionRequest request, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        var changed = request.ChangedPurposes ?? [];
        var added = request.NewPurposes ?? [];
        var badCode = changed.FirstOrDefault(c => !PurposeCode.TryParse(c, out _));
        if (badCode is not null)
        {
            return Invalid("changedPurposes", "A purpose code is 1-64 lower-case letters, digits or . _ -");
        }

        if (changed.Concat(added.Select(a => a.Code)).GroupBy(c => c, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            return Invalid("changedPurposes", "Each purpose may appear once, either as changed or as new.");
        }

        var now = services.Time.GetUtcNow();
        var announcement = request.Announcement!;
        if (PolicyAnnouncements.Refusal(announcement.EffectiveDate!.Value, announcement.Summary!.En, announcement.Summary.ZhCn, announcement.ReviewUrl, now)
            is var (field, message))
        {
            return Invalid(field, message);
        }

        var text = request.Text!;
        foreach (var (textField, value) in new[] { ("text.en", text.En), ("text.zhCn", text.ZhCn) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return Invalid(textField, $"The version's full text (Markdown), 1-{PolicyText.MaxLength} characters, not blank.");
            }
        }

        var db = services.Db;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var policy = await db.Policies.FromSql($"select * from policies where policy_id = {policyId} for update").SingleOrDefaultAsync(cancellationToken);
        if (policy is null)
        {
            return NotFound($"There is no policy '{policyId}'.");
        }

        if (await db.PolicyVersions.AnyAsync(v => v.PolicyId == policyId && v.Version == request.Version, cancellationToken))
        {
            return Conflict($"Policy '{policyId}' already has a version '{request.Version}'; versions are never rewritten.");
        }

        var existing = await db.Purposes.Where(p => changed.Contains(p.Code) || added.Select(a => a.Code).Contains(p.Code)).ToListAsync(cancellationToken);
        var unknown = changed.Where(c => !existing.Any(p => p.Code == c && p.PolicyId == policyId)).ToList();
        if (unknown.Count > 0)
        {
            return Unprocessable($"These purposes are not in policy '{policyId}': {string.Join(", ", unknown)}. Add new purposes under 'newPurposes'.");
        }

        var clash = added.Where(a => existing.Any(p => p.Code == a.Code)).Select(a => a.Code).ToList();
        if (clash.Count > 0)
        {
            return Conflict($"These purposes already exist: {string.Join(", ", clash)}. List them under 'changedPurposes' instead.");
        }

        var allChanged = changed.Concat(added.Select(a => a.Code)).ToList();
        // Every active subject of the policy is told by PolicyAnnouncer, which starts within seconds of the commit.
        var version = new PolicyVersion
        {
            PolicyId = policyId,
            Version = request.Version,
            ChangedPurposes = allChanged,
            PublishedAt = now,
            EffectiveDate = announcement.EffectiveDate,
            SummaryEn = announcement.Summary.En,
            SummaryZhCn = announcement.Summary.ZhCn,
            ReviewUrl = announcement.ReviewUrl,
        };
        db.PolicyVersions.Add(version);
        await db.SaveChangesAsync(cancellationToken); // assigns the version's sequence
        db.PolicyVersionTexts.Add(new PolicyVersionText { PolicyId = policyId, Version = version.Version, TextEn = text.En, TextZhCn = text.ZhCn });

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
        policy.GuardianAge = request.GuardianAge ?? policy.GuardianAge;
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
            return Conflict($"Policy '{policyId}' already has a version '{request.Version}', or a new purpose already exists.");
        }

        await services.Catalogue.ReloadAsync(cancellationToken);
        services.Cache.Clear();
        Log.PolicyVersionPublished(services.Logger, policyId, version.Version, allChanged.Count);
        if (minors > 0)
        {
            Log.MinorsWithoutGuardianConsent(services.Logger, policyId, policy.GuardianAge, minors);
        }

        return TypedResults.Created($"/v1/policies/{policyId}/versions/{version.Version}",
            new PolicyVersionView(policyId, version.Version, allChanged, policy.GuardianAge, now, new AnnouncementView(0, 0, null)));
    }

    /// <summary>The policy's current version, as product backends show it to subjects, with its text in both languages.</summary>
    public static async Task<Results<Ok<CurrentPolicyView>, ProblemHttpResult>> Current(
        string policyId, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        var db = services.Db;
        var current = await (from p in db.Policies.AsNoTracking()
                             join v in db.PolicyVersions.AsNoTracking() on new { p.PolicyId, Version = p.CurrentVersion } equals new { v.PolicyId, v.Version }
                             where p.PolicyId == policyId
                             select v).SingleOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return NotFound($"There is no policy '{policyId}'.");
        }

        var text = await db.PolicyVersionTexts.AsNoTracking().Where(t => t.PolicyId == policyId && t.Version == current.Version)
            .Select(t => new PolicyText(t.TextEn, t.TextZhCn)).SingleOrDefaultAsync(cancellationToken);
        return TypedResults.Ok(new CurrentPolicyView(policyId, current.Version, current.EffectiveDate, current.PublishedAt, current.ChangedPurposes, text));
    }

    /// <summary>The newest versions (of one policy, or of all), newest first, with how far each one's announcement has come.</summary>
    public static async Task<Results<Ok<List<PolicyVersionView>>, ProblemHttpResult>> ListVersions(
        string? policyId, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        var policies = await services.Db.Policies.AsNoTracking().ToDictionaryAsync(p => p.PolicyId, p => p.GuardianAge, cancellationToken);
        if (policyId is not null && !policies.ContainsKey(policyId))
        {
            return NotFound($"There is no policy '{policyId}'; the policies are {string.Join(", ", policies.Keys.Order())}.");
        }

        var versions = await services.Db.PolicyVersions.AsNoTracking().Where(v => policyId == null || v.PolicyId == policyId)
            .OrderByDescending(v => v.Sequence).Take(100).ToListAsync(cancellationToken);
        // Versions from before announcements (the seeded 1.0) had none: null, not "every subject asked".
        return TypedResults.Ok(versions.Select(v => new PolicyVersionView(v.PolicyId, v.Version, v.ChangedPurposes, policies[v.PolicyId], v.PublishedAt,
            v.EffectiveDate is null ? null : new AnnouncementView(v.AnnouncedSubjects, v.AnnouncedPages, v.AnnouncedAt))).ToList());
    }
}
