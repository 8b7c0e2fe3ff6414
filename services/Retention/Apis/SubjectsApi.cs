using Microsoft.AspNetCore.Http.HttpResults;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>One subject: what retention knows of it, and the facts others report about it.</summary>
public static class SubjectsApi
{
    public static IEndpointRouteBuilder MapSubjectsApi(this IEndpointRouteBuilder app)
    {
        var subjects = app.MapGroup("/v1/subjects/{subjectId}").WithTags("Retention");
        subjects.MapGet("/retention", GetSubject).WithName("GetSubjectRetention")
            .WithSummary("What retention knows of a subject, and which holds block its erasure (INF-6.4).").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        subjects.MapPost("/minor-without-guardian-consent", MarkMinor).WithName("MarkMinorWithoutGuardianConsent")
            .WithSummary("Records that the subject's data came from a minor without verifiable guardian consent (IWK-3.3).")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Service);
        subjects.MapPost("/purposes/{purpose}/fulfilled", MarkFulfilled).WithName("MarkPurposeFulfilled")
            .WithSummary("Starts the 'purpose fulfilled' clocks for the subject's data collected for the purpose.")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Service);
        return app;
    }

    public static async Task<Results<Ok<SubjectRetentionView>, ProblemHttpResult>> GetSubject(string subjectId, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var subject = await s.Db.Subjects.AsNoTracking().SingleOrDefaultAsync(x => x.SubjectId == subjectId, cancellationToken);
        var holds = await s.Db.HoldsKeepingAsync(subjectId, cancellationToken);
        var views = await LegalHoldsApi.WithAuditAsync(s.Db, holds, cancellationToken);
        var because = holds.Count == 0 ? null
            : $"Erasure is blocked by {holds.Count} legal hold(s) ({string.Join(", ", holds.Select(h => h.ReasonCode).Distinct())}); data is erased only when all are released (INF-6.4).";
        var certificates = await s.Db.DeletionCertificates.Where(c => c.SubjectId == subjectId).Select(c => c.Id).ToListAsync(cancellationToken);
        var active = await s.Db.Inventory.CountAsync(i => i.SubjectId == subjectId && i.State == ItemStates.Active, cancellationToken);
        return TypedResults.Ok(new SubjectRetentionView(subjectId, subject is not null, subject?.CancelledAt,
            subject?.CancelledAt?.AddMonths(s.Options.Value.CancellationMonths), subject?.MinorDetectedAt, subject?.ErasedAt, subject?.ErasureItemId is not null,
            active, views, because, certificates));
    }

    public static async Task<Results<Accepted, ProblemHttpResult>> MarkMinor(string subjectId, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        await s.Db.MarkMinorAsync(subjectId, s.Time.GetUtcNow(), cancellationToken);
        return TypedResults.Accepted($"/v1/subjects/{subjectId}/retention");
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> MarkFulfilled(string subjectId, string purpose, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!PurposeCode.TryParse(purpose, out _))
        {
            return Problems.Problem(400, "Invalid purpose", "A purpose is a purpose code of the consent catalogue: 1-64 lower-case letters, digits or . _ -");
        }

        await s.Db.RecordFulfilmentAsync(subjectId, purpose, s.Time.GetUtcNow(), cancellationToken);
        return TypedResults.NoContent();
    }
}
