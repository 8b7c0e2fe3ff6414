using PrivacySuite.ServiceDefaults.Input;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using static PrivacySuite.Consent.Apis.ConsentApi;
using static PrivacySuite.ServiceDefaults.Input.RequestProblems;

namespace PrivacySuite.Consent.Apis;

/// <summary>The check's own dependencies: no DbContext, because a cache hit must not pay for one.</summary>
public sealed record CheckServices(
    [FromServices] PurposeCatalogue Catalogue,
    [FromServices] DecisionCache Cache,
    [FromServices] SubjectStateReader Reader,
    [FromServices] TimeProvider Time);

internal static class CheckApi
{
    public static async Task<Results<Ok<ConsentDecision>, ValidationProblem, ProblemHttpResult>> Check(
        string? subjectId, string? purpose, [AsParameters] CheckServices services, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Invalid("subjectId", SubjectIdRule.Message);
        }

        if (!PurposeCode.TryParse(purpose, out _))
        {
            return Invalid("purpose", "A purpose code is 1-64 lower-case letters, digits or . _ -");
        }

        // Read the generation before anything else: a change that lands while we read makes Store drop our answer.
        var generation = services.Cache.Generation;
        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        if (!catalogue.Purposes.TryGetValue(purpose!, out var definition))
        {
            return NotFound($"There is no purpose '{purpose}' in the catalogue (GET /v1/purposes).");
        }

        var today = DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime);
        if (!services.Cache.TryGet(subjectId!, out var state))
        {
            var read = await services.Reader.ReadAsync(subjectId!, cancellationToken);
            if (read is null)
            {
                // Unknown subjects are not remembered: registering one is not an event the other replicas hear.
                return TypedResults.Ok(ConsentRules.Decide(null, definition, catalogue.Policies[definition.PolicyId], null, today)
                    with { PolicyEpoch = catalogue.Epoch });
            }

            services.Cache.Store(read, generation);
            state = read;
        }

        return TypedResults.Ok(state.Decide(definition, catalogue.Policies[state.Subject.PolicyId], today, catalogue.Epoch));
    }
}
