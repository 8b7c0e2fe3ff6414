using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static PrivacySuite.Consent.Apis.ConsentApi;

namespace PrivacySuite.Consent.Apis;

internal static class CheckApi
{
    // Two point reads by primary key; compiled once because this is the hot path's miss.
    private static readonly Func<ConsentDbContext, string, Task<Subject?>> SubjectById =
        EF.CompileAsyncQuery((ConsentDbContext db, string id) => db.Subjects.AsNoTracking().SingleOrDefault(s => s.SubjectId == id));

    private static readonly Func<ConsentDbContext, string, string, Task<ConsentRecord?>> ConsentByKey =
        EF.CompileAsyncQuery((ConsentDbContext db, string id, string purpose) =>
            db.Consents.AsNoTracking().SingleOrDefault(c => c.SubjectId == id && c.Purpose == purpose));

    public static async Task<Results<Ok<ConsentDecision>, ValidationProblem, ProblemHttpResult>> Check(
        string? subjectId, string? purpose, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", "A subject id is 1-64 letters, digits or . _ : -");
        }

        if (!PurposeCode.TryParse(purpose, out _))
        {
            return Invalid("purpose", "A purpose code is 1-64 lower-case letters, digits or . _ -");
        }

        if (services.Cache.TryGet(subjectId!, purpose!, out var cached))
        {
            return TypedResults.Ok(cached);
        }

        // Read the generation before anything else: a change that lands while we read makes Store drop our answer.
        var generation = services.Cache.Generation;
        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        if (!catalogue.Purposes.TryGetValue(purpose!, out var definition))
        {
            return NotFound($"There is no purpose '{purpose}' in the catalogue (GET /v1/purposes).");
        }

        var subject = await SubjectById(services.Db, subjectId!);
        var consent = subject is null ? null : await ConsentByKey(services.Db, subjectId!, purpose!);
        var policy = catalogue.Policies[subject?.PolicyId ?? definition.PolicyId];
        var decision = ConsentRules.Decide(subject, definition, policy, consent, DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime));
        if (subject is not null)
        {
            // Unknown subjects are not remembered: registering one is not an event the other replicas hear.
            services.Cache.Store(subjectId!, purpose!, decision, generation);
        }

        return TypedResults.Ok(decision);
    }
}
