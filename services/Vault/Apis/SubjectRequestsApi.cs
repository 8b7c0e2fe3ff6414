using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class SubjectRequestsApi
{
    public const int MaxListed = 500;
    public static readonly IReadOnlyList<string> States = ["open", "completed", "expired"];

    /// <summary>The subject-request queue for the operators' dashboard (read-only).</summary>
    public static IEndpointRouteBuilder MapSubjectRequestsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/subject-requests", ListAsync).WithTags("Subject rights").WithName("ListSubjectRequests")
            .WithSummary("Subject-rights requests, newest first, with their state; state=open gives the queue still waiting for the subject.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        app.MapPost("/v1/subject-requests/{verificationId:guid}/approval", ApproveAsync).WithTags("Subject rights").WithName("ApproveSubjectRequest")
            .WithSummary("A privacy officer approves an open access or export of data of the highest protection level (IWK-2.2); the code is still needed.")
            .RequireRoles(SuiteRoles.PrivacyOfficer);
        return app;
    }

    private static async Task<Results<Ok<SubjectRequestView>, ProblemHttpResult>> ApproveAsync(
        Guid verificationId, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct) =>
        await verifications.ApproveAsync(verificationId, s.Accessor, ct) switch
        {
            Outcome<Verification>.Done d => TypedResults.Ok(View(d.Value, s.Time.GetUtcNow(), s.Options.Value.VerificationLifetime)),
            Outcome<Verification>.Refused { Why: var r } => Problems.Refused(r),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    private static async Task<Results<Ok<List<SubjectRequestView>>, ProblemHttpResult>> ListAsync(
        [AsParameters] VaultServices s, CancellationToken ct, string? state = null, int limit = 100)
    {
        if (state is not null && !States.Contains(state))
        {
            return new Refusal(400, $"state is one of: {string.Join(", ", States)}.", Title: "Unknown state").ToProblem();
        }

        if (limit is < 1 or > MaxListed)
        {
            return new Refusal(400, $"limit is between 1 and {MaxListed}.", Title: "Bad limit").ToProblem();
        }

        var now = s.Time.GetUtcNow();
        // Rights requests only: a contact's proof is not a request the operators act on.
        var requests = IdentityVerifications.Requests.ToList();
        var query = s.Db.Verifications.AsNoTracking().Where(v => requests.Contains(v.Request));
        query = state switch
        {
            "open" => query.Where(v => v.UsedAt == null && v.ExpiresAt > now),
            "completed" => query.Where(v => v.UsedAt != null),
            "expired" => query.Where(v => v.UsedAt == null && v.ExpiresAt <= now),
            _ => query,
        };

        var lifetime = s.Options.Value.VerificationLifetime;
        var rows = await query.OrderByDescending(v => v.ExpiresAt).Take(limit).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(v => View(v, now, lifetime)).ToList());
    }

    private static SubjectRequestView View(Verification v, DateTimeOffset now, TimeSpan lifetime) => new(
        v.VerificationId,
        v.SubjectId,
        v.Request,
        v.UsedAt is not null ? "completed" : v.ExpiresAt > now ? "open" : "expired",
        SubjectViews.StartOf(v, lifetime),
        v.ExpiresAt,
        v.UsedAt,
        v.Attempts,
        v.ApprovedAt,
        v.ApprovedBy);
}
