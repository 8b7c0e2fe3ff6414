using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static PrivacySuite.Consent.Apis.ConsentApi;

namespace PrivacySuite.Consent.Apis;

internal static class PolicyApi
{
    public static async Task<Results<Created<PolicyVersionView>, ValidationProblem, ProblemHttpResult>> PublishVersion(
        string policyId, PublishPolicyVersionRequest request, [FromServices] PolicyPublishing publishing, CancellationToken cancellationToken)
    {
        var announcement = request.Announcement!;
        var draft = new PolicyVersionDraft(request.Version, request.ChangedPurposes ?? [],
            [.. (request.NewPurposes ?? []).Select(p => new NewPurpose(p.Code, p.NameEn, p.NameZh, p.Essential, p.DefaultBasis, p.DataCategories,
                p.ThirdPartyRecipient, p.SeparateConsent))],
            request.GuardianAge, announcement.EffectiveDate!.Value, announcement.Summary!.En, announcement.Summary.ZhCn, announcement.ReviewUrl,
            request.Text!.En, request.Text.ZhCn);
        return await publishing.PublishAsync(policyId, draft, cancellationToken) switch
        {
            Outcome<(PolicyVersion Version, int GuardianAge)>.Done { Value: var (version, guardianAge) } =>
                TypedResults.Created($"/v1/policies/{policyId}/versions/{version.Version}",
                    new PolicyVersionView(policyId, version.Version, version.ChangedPurposes, guardianAge, version.PublishedAt, new AnnouncementView(0, 0, null))),
            Outcome<(PolicyVersion, int)>.Refused { Why: var why } => Problem(why),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
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
