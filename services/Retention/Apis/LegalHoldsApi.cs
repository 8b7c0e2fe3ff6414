using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>Legal holds (INF-2.2): the privacy officer's alone.</summary>
public static class LegalHoldsApi
{
    public static IEndpointRouteBuilder MapLegalHoldsApi(this IEndpointRouteBuilder app)
    {
        var holds = app.MapGroup("/v1/legal-holds").WithTags("Retention").RequireRoles(SuiteRoles.PrivacyOfficer);
        holds.MapPost("/", PlaceHold).WithName("PlaceLegalHold").WithSummary("Places a legal hold on a subject, a category, or a subject's category (INF-2.2).");
        holds.MapGet("/", ListHolds).WithName("ListLegalHolds").WithSummary("Legal holds, active ones only unless asked.");
        holds.MapGet("/{id:guid}", GetHold).WithName("GetLegalHold").WithSummary("One legal hold with its audit trail.");
        holds.MapPost("/{id:guid}/release", ReleaseHold).WithName("ReleaseLegalHold").WithSummary("Releases a legal hold.");
        return app;
    }

    public static async Task<Results<Created<HoldView>, ProblemHttpResult>> PlaceHold(PlaceHoldRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (request.SubjectId is not null && !SubjectId.TryParse(request.SubjectId, out _))
        {
            return Problems.InvalidSubject();
        }

        return await s.Db.PlaceHoldAsync(request.SubjectId, request.Category, request.ReasonCode, request.Reference, request.ReviewAt!.Value, s.Caller,
                s.Time.GetUtcNow(), cancellationToken) switch
        {
            Outcome<(LegalHold Hold, LegalHoldAuditEntry Audit)>.Done { Value: var (hold, audit) } =>
                TypedResults.Created($"/v1/legal-holds/{hold.Id}", HoldView.From(hold, [audit])),
            var refused => Problems.Refused(refused),
        };
    }

    public static async Task<Results<Ok<List<HoldView>>, ProblemHttpResult>> ListHolds(
        [AsParameters] RetentionServices s, CancellationToken cancellationToken, string? subjectId = null, bool includeReleased = false)
    {
        if (subjectId is not null && !SubjectId.TryParse(subjectId, out _))
        {
            return Problems.InvalidSubject();
        }

        var holds = await s.Db.LegalHolds.AsNoTracking()
            .Where(h => includeReleased || h.ReleasedAt == null)
            .Where(h => subjectId == null || h.SubjectId == subjectId || h.SubjectId == null)
            .OrderBy(h => h.PlacedAt).Take(1000).ToListAsync(cancellationToken);
        return TypedResults.Ok(await WithAuditAsync(s.Db, holds, cancellationToken));
    }

    public static async Task<Results<Ok<HoldView>, NotFound<ProblemDetails>>> GetHold(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var hold = await s.Db.LegalHolds.AsNoTracking().SingleOrDefaultAsync(h => h.Id == id, cancellationToken);
        return hold is null ? HoldNotFound() : TypedResults.Ok((await WithAuditAsync(s.Db, [hold], cancellationToken))[0]);
    }

    public static async Task<Results<Ok<HoldView>, NotFound<ProblemDetails>, ProblemHttpResult>> ReleaseHold(
        Guid id, ReleaseHoldRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        return await s.Db.ReleaseHoldAsync(id, request.Note, s.Caller, s.Time.GetUtcNow(), cancellationToken) switch
        {
            Outcome<LegalHold>.Done done => TypedResults.Ok((await WithAuditAsync(s.Db, [done.Value], cancellationToken))[0]),
            Outcome<LegalHold>.Refused { Why.Status: StatusCodes.Status404NotFound } => HoldNotFound(),
            var refused => Problems.Refused(refused),
        };
    }

    private static NotFound<ProblemDetails> HoldNotFound() => Problems.NotFound("No such hold", "No legal hold has this id.");

    /// <summary>The holds as the API shows them, each with its audit trail.</summary>
    internal static async Task<List<HoldView>> WithAuditAsync(RetentionDbContext db, List<LegalHold> holds, CancellationToken cancellationToken)
    {
        var ids = holds.Select(h => h.Id).ToList();
        var audit = (await db.LegalHoldAudit.AsNoTracking().Where(a => ids.Contains(a.HoldId)).ToListAsync(cancellationToken)).ToLookup(a => a.HoldId);
        return holds.Select(h => HoldView.From(h, audit[h.Id])).ToList();
    }
}
