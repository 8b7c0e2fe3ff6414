using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>Deletion certificates: what was removed of a subject, when, and in which regions (IWK-2.5).</summary>
public static class CertificatesApi
{
    public static IEndpointRouteBuilder MapCertificatesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/deletion-certificates/{id:guid}", GetCertificate).WithTags("Retention").WithName("GetDeletionCertificate")
            .WithSummary("A deletion certificate: what was removed, when, and in which regions.").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        return app;
    }

    public static async Task<Results<Ok<CertificateView>, NotFound<ProblemDetails>>> GetCertificate(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var c = await s.Db.DeletionCertificates.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken);
        return c is null
            ? Problems.NotFound("No such certificate", "No deletion certificate has this id.")
            : TypedResults.Ok(new CertificateView(c.Id, c.SubjectId, c.Outcome, c.Reason, c.Categories, c.TokenCount, c.CompletedAt, c.Regions, c.IssuedAt));
    }
}
