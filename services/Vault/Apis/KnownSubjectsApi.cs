using System.ComponentModel.DataAnnotations;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

/// <summary>
/// For an incident's notices to a named list of subjects: which of them the vault holds, so a notice is never requested
/// for a subject id the vault does not know (a typo, another system's id). Reads no personal data, only whether a
/// subject's record exists, like the affected-subjects listing; the same roles may ask.
/// </summary>
public static class KnownSubjectsApi
{
    public static IEndpointRouteBuilder MapKnownSubjectsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/subjects/known", KnownAsync).WithTags("Suite").WithName("KnownSubjects")
            .RequireRoles(SuiteRoles.Service, SuiteRoles.OnCall)
            .WithSummary($"Which of up to {AffectedSubjects.MaxKnown} named subjects the vault holds, for incident notices to a list of subjects.");
        return app;
    }

    private static async Task<Results<Ok<KnownSubjectsResponse>, ValidationProblem>> KnownAsync(
        KnownSubjectsRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        var ids = request.SubjectIds ?? [];
        if (ids.Count is 0 or > AffectedSubjects.MaxKnown)
        {
            return RequestProblems.Invalid("subjectIds", $"1-{AffectedSubjects.MaxKnown} subject ids.");
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (!Validate.SubjectId(ids[i]))
            {
                return RequestProblems.Invalid($"subjectIds[{i}]", "Not a valid subject id.");
            }
        }

        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var known = await AffectedSubjects.KnownAsync(s.Db, distinct, ct);
        var held = known.ToHashSet(StringComparer.Ordinal);
        return TypedResults.Ok(new KnownSubjectsResponse(known, distinct.Where(id => !held.Contains(id)).Order(StringComparer.Ordinal).ToList()));
    }
}
