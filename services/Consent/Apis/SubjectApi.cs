using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.ServiceDefaults.Auth;
using static PrivacySuite.Consent.Apis.ConsentApi;
using static PrivacySuite.ServiceDefaults.Input.RequestProblems;

namespace PrivacySuite.Consent.Apis;

/// <summary>
/// Subjects and their consents over HTTP: each handler checks the shape of what it was sent and calls a verb of
/// <see cref="ConsentRecords"/>. A malformed <c>{subjectId}</c> never reaches them (ServiceDefaults' RequestGuard).
/// </summary>
internal static class SubjectApi
{
    private const int HistoryLimit = 1000;

    public static async Task<Results<Created<SubjectView>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterSubjectRequest request, [FromServices] ConsentRecords subjects, CancellationToken cancellationToken) =>
        await subjects.RegisterAsync(request.SubjectId, request.PolicyId, request.BirthDate, request.AgeBand, cancellationToken) switch
        {
            Outcome<SubjectStanding>.Done { Value: var standing } =>
                TypedResults.Created($"/v1/subjects/{standing.Subject.SubjectId}/consents", ToView(standing)),
            Outcome<SubjectStanding>.Refused { Why: var why } => Problem(why),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    public static async Task<Results<Created<GrantedConsent>, ValidationProblem, ProblemHttpResult>> Grant(
        string subjectId, GrantConsentRequest request, ClaimsPrincipal user, [FromServices] ConsentRecords subjects, CancellationToken cancellationToken)
    {
        // A person agrees or not; recording a legal ground instead of consent is the product backend's, and audited.
        var person = user.IsInRole(SuiteRoles.Subject) && !user.IsInRole(SuiteRoles.ProductBackend);
        if (person && request.LegalBasis is { } basis && basis != LegalBasis.Consent)
        {
            return Problem(new Refusal(StatusCodes.Status403Forbidden,
                "A person gives or refuses consent; a legal basis other than consent is recorded by the product backend.", "basis-not-yours"));
        }

        // A guardian acting for a minor at the privacy centre consents as that guardian, with their own code, and no other.
        if (person && user.FindFirstValue(Callers.ActorClaim) is { } actor && request.Guardian?.GuardianId != actor)
        {
            return Problem(new Refusal(StatusCodes.Status403Forbidden,
                "A guardian acting for a minor gives consent as the guardian: name yourself in guardian, with the code sent to you.", "guardian-must-be-you"));
        }

        var grant = new ConsentGrant(request.Purpose, request.PolicyVersion, request.CollectionMethod, request.Jurisdiction,
            request.Guardian is { } g ? new GuardianClaim(g.GuardianId, g.VerificationId, g.Code) : null,
            request.LegalBasis, request.BasisReference, request.SensitiveCategories);
        return await subjects.GrantAsync(subjectId, grant, user.Actor(), cancellationToken) switch
        {
            Outcome<(ConsentRecord Record, string? Receipt)>.Done { Value: var (record, receipt) } =>
                TypedResults.Created($"/v1/subjects/{subjectId}/consents", new GrantedConsent(ToView(record), receipt)),
            Outcome<(ConsentRecord, string?)>.Refused { Why: var why } => Problem(why),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    public static async Task<Results<Ok<ConsentView>, ValidationProblem, ProblemHttpResult>> Withdraw(
        string subjectId, string purpose, ClaimsPrincipal user, [FromServices] ConsentRecords subjects, CancellationToken cancellationToken)
    {
        if (!PurposeCode.TryParse(purpose, out _))
        {
            return InvalidPurpose();
        }

        return Answer(await subjects.WithdrawAsync(subjectId, purpose, user.Actor(), cancellationToken));
    }

    public static async Task<Results<Ok<ConsentView>, ValidationProblem, ProblemHttpResult>> WithdrawSensitive(
        string subjectId, string purpose, string category, ClaimsPrincipal user, [FromServices] ConsentRecords subjects,
        CancellationToken cancellationToken)
    {
        if (!PurposeCode.TryParse(purpose, out _))
        {
            return InvalidPurpose();
        }

        // By name only (Enum.TryParse would take "4" too).
        if (Enum.GetValues<DataCategory>().Where(c => string.Equals(c.ToString(), category, StringComparison.OrdinalIgnoreCase))
                .Select(c => (DataCategory?)c).SingleOrDefault() is not { } named)
        {
            return Invalid("category", $"A separate consent is for {string.Join(" or ", SensitiveCategories.All)}.");
        }

        return Answer(await subjects.WithdrawSensitiveAsync(subjectId, purpose, named, user.Actor(), cancellationToken));
    }

    public static async Task<Results<Ok<SubjectConsents>, ValidationProblem, ProblemHttpResult>> List(
        string subjectId, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        var db = services.Db;
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(s => s.SubjectId == subjectId, cancellationToken);
        if (subject is null)
        {
            return NotFound("No subject with this id is registered.");
        }

        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        var consents = await db.Consents.AsNoTracking().Where(c => c.SubjectId == subjectId).OrderBy(c => c.Purpose).ToListAsync(cancellationToken);
        var history = await db.ConsentHistory.AsNoTracking().Where(h => h.SubjectId == subjectId)
            .OrderByDescending(h => h.Id).Take(HistoryLimit).ToListAsync(cancellationToken);
        history.Reverse();
        var today = DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime);
        var policy = catalogue.Policies[subject.PolicyId];
        var byPurpose = consents.ToDictionary(c => c.Purpose);
        var decisions = catalogue.Purposes.Values.Where(p => p.PolicyId == subject.PolicyId).OrderBy(p => p.Code, StringComparer.Ordinal)
            .Select(p => (p.Code, Decision: ConsentRules.Decide(subject, p, policy, byPurpose.GetValueOrDefault(p.Code), today)))
            .Select(d => new PurposeDecision(d.Code, d.Decision.Allowed, d.Decision.Reason, d.Decision.Basis, d.Decision.PolicyVersion,
                d.Decision.SensitiveCategories ?? []))
            .ToList();
        return TypedResults.Ok(new SubjectConsents(
            ToView(new SubjectStanding(subject, ConsentRules.IsMinor(subject, catalogue.Policies[subject.PolicyId].GuardianAge, today))),
            consents.Select(ToView).ToList(),
            history.Select(h => new HistoryView(h.Id, h.Purpose, h.Action, h.Basis, h.PolicyVersion, h.CollectionMethod, h.Jurisdiction,
                h.GuardianId, h.Actor, h.At, h.ReceiptId, h.Receipt, h.GuardianVerificationId, h.SensitiveCategories, h.Category)).ToList(),
            decisions));
    }

    /// <summary>
    /// The minors whose current consent names the subject as guardian, active ones only (a cancelled or erased account
    /// has no consents to act on). A subject token sees its own wards only (RequestGuard).
    /// </summary>
    public static async Task<Results<Ok<List<WardView>>, ProblemHttpResult>> Wards(
        string subjectId, [AsParameters] ConsentServices services, CancellationToken cancellationToken)
    {
        var db = services.Db;
        if (!await db.Subjects.AsNoTracking().AnyAsync(s => s.SubjectId == subjectId, cancellationToken))
        {
            return NotFound("No subject with this id is registered.");
        }

        var catalogue = await services.Catalogue.GetAsync(cancellationToken);
        var today = DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime);
        var wards = await db.Subjects.AsNoTracking()
            .Where(s => s.Status == SubjectStatus.Active &&
                        db.Consents.Any(c => c.SubjectId == s.SubjectId && c.GuardianId == subjectId && c.State == ConsentState.Granted))
            .OrderBy(s => s.SubjectId).Take(100).ToListAsync(cancellationToken);
        return TypedResults.Ok(wards.Select(w => new WardView(w.SubjectId, w.PolicyId,
            ConsentRules.IsMinor(w, catalogue.Policies[w.PolicyId].GuardianAge, today))).ToList());
    }

    public static async Task<Results<Ok<CancellationView>, ValidationProblem, ProblemHttpResult>> Cancel(
        string subjectId, ClaimsPrincipal user, [FromServices] ConsentRecords subjects, CancellationToken cancellationToken)
    {
        return await subjects.CancelAsync(subjectId, user.Actor(), cancellationToken) switch
        {
            Outcome<(DateTimeOffset CancelledAt, IReadOnlyList<string> EndedPurposes)>.Done { Value: var (at, ended) } =>
                TypedResults.Ok(new CancellationView(subjectId, at, ended)),
            Outcome<(DateTimeOffset, IReadOnlyList<string>)>.Refused { Why: var why } => Problem(why),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    private static Results<Ok<ConsentView>, ValidationProblem, ProblemHttpResult> Answer(Outcome<ConsentRecord> outcome) => outcome switch
    {
        Outcome<ConsentRecord>.Done { Value: var record } => TypedResults.Ok(ToView(record)),
        Outcome<ConsentRecord>.Refused { Why: var why } => Problem(why),
        _ => throw new InvalidOperationException("Unexpected outcome."),
    };

    private static ValidationProblem InvalidPurpose() => Invalid("purpose", "A purpose code is 1-64 lower-case letters, digits or . _ -");

    private static SubjectView ToView(SubjectStanding standing) => new(
        standing.Subject.SubjectId, standing.Subject.PolicyId, standing.Subject.Status, standing.NeedsGuardianConsent, standing.Subject.RegisteredAt,
        standing.Subject.CancelledAt);

    private static ConsentView ToView(ConsentRecord c) => new(
        c.Purpose, c.State, c.Basis, c.PolicyVersion, c.CollectionMethod, c.Jurisdiction, c.GuardianId, c.ChangedAt, c.ReceiptId, c.GuardianVerificationId,
        c.SensitiveCategories);
}
