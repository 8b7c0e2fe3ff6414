using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Validation;
using PrivacySuite.Retention.IntegrationEvents;
using PrivacySuite.Retention.Model;
using PrivacySuite.Retention.Sweeping;
using PrivacySuite.ServiceDefaults.Auth;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The dependencies every retention handler gets.</summary>
// Services, not input: without SkipValidation the validation generator walks the DbContext's object graph and fails.
#pragma warning disable ASP0029 // SkipValidation is marked for evaluation in .NET 10; it is the only switch for this.
[SkipValidation]
#pragma warning restore ASP0029
public sealed record RetentionServices(RetentionDbContext Db, TimeProvider Time, IOptions<RetentionOptions> Options, RetentionSignal Signal, HttpContext Http)
{
    public string Caller => Http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";
}

public sealed record PutScheduleRequest(
    [property: Range(0, 36500)] int PeriodDays,
    [property: Required, AllowedValues("erase", "anonymise")] string Action,
    [property: Required, AllowedValues("collection", "last-use", "account-cancellation", "purpose-fulfilled")] string Trigger,
    [property: StringLength(500)] string? Note);

public sealed record ScheduleView(DataCategory Category, string Purpose, int Version, int PeriodDays, string Action, string Trigger, string ChangedBy, string? Note, DateTimeOffset CreatedAt)
{
    public static ScheduleView From(RetentionSchedule s) => new(s.Category, s.Purpose, s.Version, s.PeriodDays, s.Action, s.ClockTrigger, s.ChangedBy, s.Note, s.CreatedAt);
}

public sealed record PlaceHoldRequest(
    [property: StringLength(SubjectId.MaxLength)] string? SubjectId,
    DataCategory? Category,
    [property: Required, AllowedValues("law", "court-order", "authority", "agreement-enforcement", "public-interest", "complaint-or-dispute", "safety")] string ReasonCode,
    [property: Required, StringLength(200, MinimumLength = 1)] string Reference,
    [property: Required] DateTimeOffset? ReviewAt);

public sealed record ReleaseHoldRequest([property: StringLength(500)] string? Note);

public sealed record HoldAuditView(string Action, string Actor, DateTimeOffset At, string? Note);

public sealed record HoldView(Guid Id, string? SubjectId, DataCategory? Category, string ReasonCode, string PlacedBy, string Reference,
    DateTimeOffset ReviewAt, DateTimeOffset PlacedAt, DateTimeOffset? ReleasedAt, string? ReleasedBy, IReadOnlyList<HoldAuditView> Audit)
{
    public static HoldView From(LegalHold h, IEnumerable<LegalHoldAuditEntry> audit) => new(h.Id, h.SubjectId, h.Category, h.ReasonCode, h.PlacedBy,
        h.Reference, h.ReviewAt, h.PlacedAt, h.ReleasedAt, h.ReleasedBy, audit.OrderBy(a => a.Id).Select(a => new HoldAuditView(a.Action, a.Actor, a.At, a.Note)).ToList());
}

/// <summary>Starts a sweep; <c>dryRun</c> must be said either way, since a body that omits it must never erase anything.</summary>
public sealed record StartSweepRequest(bool DryRun);

public sealed record SweepView(Guid Id, string Trigger, string RequestedBy, string State, DateTimeOffset AsOf, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    long SubjectsTotal, long SubjectsExamined, int Batches, long ErasureRequests, long AnonymisationRequests, long TokensRequested, long SubjectsHeld,
    long ItemsAwaitingVault, long ItemsDone, long ItemsRefused)
{
    public double Progress => SubjectsTotal == 0 ? 1 : Math.Min(1, (double)SubjectsExamined / SubjectsTotal);
}

public sealed record CreateTerminationPlanRequest(
    [property: Required] DateTimeOffset? EndsAt,
    [property: Required, AllowedValues("erase", "anonymise")] string Action,
    [property: MaxLength(10)] int[]? ReminderDaysBefore);

public sealed record NoticeRunView(string NoticeType, DateTimeOffset DueAt, long Sent, DateTimeOffset? CompletedAt);

public sealed record TerminationPlanView(Guid Id, DateTimeOffset EndsAt, string Action, DateTimeOffset AnnouncedAt, string AnnouncedBy, string State,
    DateTimeOffset? CollectionStoppedAt, long SubjectsTotal, long SubjectsNotified, long SubjectsRemoved, long SubjectsRemaining, long SubjectsHeld,
    IReadOnlyList<NoticeRunView> Notices);

public sealed record SubjectRetentionView(string SubjectId, bool Known, DateTimeOffset? CancelledAt, DateTimeOffset? CancellationClockEndsAt,
    DateTimeOffset? MinorDetectedAt, DateTimeOffset? ErasedAt, bool RemovalWithVault, int ActiveTokens, IReadOnlyList<HoldView> BlockingHolds, string? BlockedBecause,
    IReadOnlyList<Guid> Certificates);

public sealed record CertificateView(Guid Id, string SubjectId, string Outcome, string Reason, IReadOnlyList<string> Categories, int TokenCount,
    DateTimeOffset CompletedAt, IReadOnlyList<string> Regions, DateTimeOffset IssuedAt);

public static class RetentionApi
{
    public static IEndpointRouteBuilder MapRetentionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Retention");

        var schedules = api.MapGroup("/schedules");
        schedules.MapGet("/", ListSchedules).WithName("ListSchedules").WithSummary("The schedules in force, one per category and purpose.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        schedules.MapGet("/{category}/{purpose}/versions", ScheduleVersions).WithName("ScheduleVersions").WithSummary("Every version of one schedule, newest first.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        schedules.MapPut("/{category}/{purpose}", PutSchedule).WithName("PutSchedule").WithSummary("Adds a new version of a schedule.")
            .RequireRoles(SuiteRoles.PrivacyOfficer);

        var holds = api.MapGroup("/legal-holds").RequireRoles(SuiteRoles.PrivacyOfficer);
        holds.MapPost("/", PlaceHold).WithName("PlaceLegalHold").WithSummary("Places a legal hold on a subject, a category, or a subject's category (INF-2.2).");
        holds.MapGet("/", ListHolds).WithName("ListLegalHolds").WithSummary("Legal holds, active ones only unless asked.");
        holds.MapGet("/{id:guid}", GetHold).WithName("GetLegalHold").WithSummary("One legal hold with its audit trail.");
        holds.MapPost("/{id:guid}/release", ReleaseHold).WithName("ReleaseLegalHold").WithSummary("Releases a legal hold.");

        var sweeps = api.MapGroup("/sweeps").RequireRoles(SuiteRoles.Operator, SuiteRoles.PrivacyOfficer);
        sweeps.MapPost("/", StartSweep).WithName("StartSweep").WithSummary("Starts a sweep now, or reports what one would remove (dry run).");
        sweeps.MapGet("/", ListSweeps).WithName("ListSweeps").WithSummary("The newest sweeps with their progress, running one first.");
        sweeps.MapGet("/{id:guid}", GetSweep).WithName("GetSweep").WithSummary("A sweep's progress and what it asked the vault to do.");

        // Roles per route, not on the group: a group's roles and a route's must both hold, which made the read the officer's alone.
        var plans = api.MapGroup("/termination-plans");
        plans.MapPost("/", CreatePlan).WithName("CreateTerminationPlan").WithSummary("Announces the end of the service (IWK-2.6).")
            .RequireRoles(SuiteRoles.PrivacyOfficer);
        plans.MapGet("/{id:guid}", GetPlan).WithName("GetTerminationPlan").WithSummary("A termination plan and its progress.")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);

        var subjects = api.MapGroup("/subjects/{subjectId}");
        subjects.MapGet("/retention", GetSubject).WithName("GetSubjectRetention")
            .WithSummary("What retention knows of a subject, and which holds block its erasure (INF-6.4).").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        subjects.MapPost("/minor-without-guardian-consent", MarkMinor).WithName("MarkMinorWithoutGuardianConsent")
            .WithSummary("Records that the subject's data came from a minor without verifiable guardian consent (IWK-3.3).")
            .RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Service);
        subjects.MapPost("/purposes/{purpose}/fulfilled", MarkFulfilled).WithName("MarkPurposeFulfilled")
            .WithSummary("Starts the 'purpose fulfilled' clocks for the subject's data collected for the purpose.")
            .RequireRoles(SuiteRoles.ProductBackend, SuiteRoles.Service);

        api.MapGet("/deletion-certificates/{id:guid}", GetCertificate).WithName("GetDeletionCertificate")
            .WithSummary("A deletion certificate: what was removed, when, and in which regions.").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator);
        return app;
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static bool TryCategory(string value, out DataCategory category) =>
        Enum.TryParse(value, ignoreCase: true, out category) && Enum.IsDefined(category) && !int.TryParse(value, out _);

    private static bool TryPurpose(string value) => value == RetentionSchedule.AnyPurpose || PurposeCode.TryParse(value, out _);

    public static async Task<Ok<List<ScheduleView>>> ListSchedules([AsParameters] RetentionServices s, CancellationToken cancellationToken) =>
        TypedResults.Ok((await SweepRunner.CurrentSchedulesAsync(s.Db, cancellationToken)).Select(ScheduleView.From).ToList());

    public static async Task<Results<Ok<List<ScheduleView>>, NotFound<ProblemDetails>, ProblemHttpResult>> ScheduleVersions(
        string category, string purpose, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!TryCategory(category, out var c) || !TryPurpose(purpose))
        {
            return Problem(400, "Unknown schedule", "The category must be a data category and the purpose a purpose code or '*'.");
        }

        var versions = await s.Db.Schedules.AsNoTracking().Where(x => x.Category == c && x.Purpose == purpose)
            .OrderByDescending(x => x.Version).ToListAsync(cancellationToken);
        return versions.Count == 0
            ? TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "No such schedule", Detail = "No schedule was ever set for this category and purpose." })
            : TypedResults.Ok(versions.Select(ScheduleView.From).ToList());
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> PutSchedule(
        string category, string purpose, PutScheduleRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!TryCategory(category, out var c) || !TryPurpose(purpose))
        {
            return Problem(400, "Unknown schedule", "The category must be a data category and the purpose a purpose code or '*'.");
        }

        if (request.Trigger == ClockTriggers.AccountCancellation && request.PeriodDays > 31)
        {
            return Problem(422, "Period too long", "Data may be kept at most one month after cancellation (IWK-2.5); keep it longer only under a legal hold.");
        }

        var now = s.Time.GetUtcNow();
        await using var tx = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        // Serialises concurrent changes of one schedule, so versions never collide.
        await s.Db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock(hashtext({$"schedule:{c}/{purpose}"}))", cancellationToken);
        var version = await s.Db.Schedules.Where(x => x.Category == c && x.Purpose == purpose).MaxAsync(x => (int?)x.Version, cancellationToken) ?? 0;
        var schedule = new RetentionSchedule
        {
            Id = Guid.CreateVersion7(now),
            Category = c,
            Purpose = purpose,
            Version = version + 1,
            PeriodDays = request.PeriodDays,
            Action = request.Action,
            ClockTrigger = request.Trigger,
            ChangedBy = s.Caller,
            Note = request.Note,
            CreatedAt = now,
        };
        s.Db.Schedules.Add(schedule);
        await s.Db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return TypedResults.Ok(ScheduleView.From(schedule));
    }

    public static async Task<Results<Created<HoldView>, ProblemHttpResult>> PlaceHold(PlaceHoldRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (request.SubjectId is null && request.Category is null)
        {
            return Problem(400, "Nothing to hold", "Name a subjectId, a category, or both.");
        }

        if (request.SubjectId is not null && !SubjectId.TryParse(request.SubjectId, out _))
        {
            return Problem(400, "Invalid subject id", "A subject id is 1-64 letters, digits, '-', '_', '.' or ':'.");
        }

        var now = s.Time.GetUtcNow();
        if (request.ReviewAt!.Value <= now)
        {
            return Problem(422, "Review date in the past", "A hold needs a review date in the future.");
        }

        var hold = new LegalHold
        {
            Id = Guid.CreateVersion7(now),
            SubjectId = request.SubjectId,
            Category = request.Category,
            ReasonCode = request.ReasonCode,
            PlacedBy = s.Caller,
            Reference = request.Reference,
            ReviewAt = request.ReviewAt.Value,
            PlacedAt = now,
        };
        var audit = new LegalHoldAuditEntry { HoldId = hold.Id, Action = "placed", Actor = s.Caller, At = now };
        s.Db.LegalHolds.Add(hold);
        s.Db.LegalHoldAudit.Add(audit);
        s.Db.AddIntegrationEvent(new LegalHoldPlaced(hold.Id, hold.SubjectId, hold.Category, hold.ReasonCode, now), now);
        await s.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/v1/legal-holds/{hold.Id}", HoldView.From(hold, [audit]));
    }

    public static async Task<Results<Ok<List<HoldView>>, ProblemHttpResult>> ListHolds(
        [AsParameters] RetentionServices s, CancellationToken cancellationToken, string? subjectId = null, bool includeReleased = false)
    {
        if (subjectId is not null && !SubjectId.TryParse(subjectId, out _))
        {
            return Problem(400, "Invalid subject id", "A subject id is 1-64 letters, digits, '-', '_', '.' or ':'.");
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
        await using var tx = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var hold = await s.Db.LegalHolds.FromSql($"select * from legal_holds where id = {id} for update").SingleOrDefaultAsync(cancellationToken);
        if (hold is null)
        {
            return HoldNotFound();
        }

        if (hold.ReleasedAt is not null)
        {
            return Problem(409, "Already released", "This hold was released before; place a new hold to protect the data again.");
        }

        var now = s.Time.GetUtcNow();
        hold.ReleasedAt = now;
        hold.ReleasedBy = s.Caller;
        s.Db.LegalHoldAudit.Add(new LegalHoldAuditEntry { HoldId = hold.Id, Action = "released", Actor = s.Caller, At = now, Note = request.Note });
        s.Db.AddIntegrationEvent(new LegalHoldReleased(hold.Id, now, hold.SubjectId, hold.Category), now);
        await s.Db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return TypedResults.Ok((await WithAuditAsync(s.Db, [hold], cancellationToken))[0]);
    }

    private static NotFound<ProblemDetails> HoldNotFound() =>
        TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "No such hold", Detail = "No legal hold has this id." });

    private static async Task<List<HoldView>> WithAuditAsync(RetentionDbContext db, List<LegalHold> holds, CancellationToken cancellationToken)
    {
        var ids = holds.Select(h => h.Id).ToList();
        var audit = (await db.LegalHoldAudit.AsNoTracking().Where(a => ids.Contains(a.HoldId)).ToListAsync(cancellationToken)).ToLookup(a => a.HoldId);
        return holds.Select(h => HoldView.From(h, audit[h.Id])).ToList();
    }

    public static async Task<Results<Accepted<SweepView>, Ok<DryRunReport>, Conflict<ProblemDetails>>> StartSweep(
        StartSweepRequest request, [AsParameters] RetentionServices s, SweepRunner runner, CancellationToken cancellationToken)
    {
        if (request.DryRun)
        {
            return TypedResults.Ok(await runner.DryRunAsync(cancellationToken));
        }

        var (sweep, started) = await runner.StartAsync("on-demand", s.Caller, cancellationToken);
        if (!started)
        {
            return TypedResults.Conflict(new ProblemDetails
            {
                Status = 409,
                Title = "A sweep is running",
                Detail = $"Sweep {sweep.Id} is still running; follow it at /v1/sweeps/{sweep.Id}.",
            });
        }

        s.Signal.Notify();
        return TypedResults.Accepted($"/v1/sweeps/{sweep.Id}", await ViewAsync(s.Db, sweep, cancellationToken));
    }

    public static async Task<Results<Ok<SweepView>, NotFound<ProblemDetails>>> GetSweep(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var sweep = await s.Db.Sweeps.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken);
        return sweep is null
            ? TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "No such sweep", Detail = "No sweep has this id." })
            : TypedResults.Ok(await ViewAsync(s.Db, sweep, cancellationToken));
    }

    /// <summary>For the operators' dashboard: what the sweeper is doing and did lately.</summary>
    public static async Task<Results<Ok<List<SweepView>>, ProblemHttpResult>> ListSweeps([AsParameters] RetentionServices s, CancellationToken cancellationToken, int limit = 20)
    {
        if (limit is < 1 or > MaxSweepsListed)
        {
            return Problem(400, "Bad limit", $"limit is between 1 and {MaxSweepsListed}.");
        }

        var sweeps = await s.Db.Sweeps.AsNoTracking()
            .OrderByDescending(x => x.State == "running").ThenByDescending(x => x.StartedAt).ThenByDescending(x => x.Id).Take(limit).ToListAsync(cancellationToken);
        var views = new List<SweepView>(sweeps.Count);
        foreach (var sweep in sweeps)
        {
            views.Add(await ViewAsync(s.Db, sweep, cancellationToken));
        }

        return TypedResults.Ok(views);
    }

    public const int MaxSweepsListed = 100;

    private static async Task<SweepView> ViewAsync(RetentionDbContext db, Sweep sweep, CancellationToken cancellationToken)
    {
        var states = await db.SweepItems.Where(i => i.SweepId == sweep.Id).GroupBy(i => i.State)
            .Select(g => new { g.Key, Count = g.LongCount() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return new SweepView(sweep.Id, sweep.Trigger, sweep.RequestedBy, sweep.State, sweep.AsOf, sweep.StartedAt, sweep.CompletedAt,
            sweep.SubjectsTotal, sweep.SubjectsExamined, sweep.Batches, sweep.ItemsErasure, sweep.ItemsAnonymisation, sweep.TokensRequested, sweep.SubjectsHeld,
            states.GetValueOrDefault(SweepItemStates.Requested), states.GetValueOrDefault(SweepItemStates.Done), states.GetValueOrDefault(SweepItemStates.Refused));
    }

    public static async Task<Results<Created<TerminationPlanView>, ProblemHttpResult>> CreatePlan(
        CreateTerminationPlanRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var now = s.Time.GetUtcNow();
        var minimum = s.Options.Value.MinimumTerminationNoticeDays;
        var endsAt = request.EndsAt!.Value;
        if (endsAt < now.AddDays(minimum))
        {
            return Problem(422, "End date too soon", $"The service can end no sooner than {minimum} days after the announcement (IWK-2.6).");
        }

        var reminders = (request.ReminderDaysBefore ?? [14, 7, 1]).Distinct().OrderDescending().ToArray();
        if (reminders.Any(d => d < 1 || d >= (endsAt - now).TotalDays))
        {
            return Problem(400, "Invalid reminders", "Each reminder is a whole number of days before the end date, at least 1, and after today.");
        }

        var plan = new TerminationPlan
        {
            Id = Guid.CreateVersion7(now),
            EndsAt = endsAt,
            Action = request.Action,
            ReminderDays = reminders,
            AnnouncedBy = s.Caller,
            AnnouncedAt = now,
        };
        await using var tx = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        if (await s.Db.TerminationPlans.AnyAsync(cancellationToken))
        {
            return Problem(409, "Already announced", "A termination plan exists; the service ends only once.");
        }

        s.Db.TerminationPlans.Add(plan);
        s.Db.TerminationNoticeRuns.Add(new TerminationNoticeRun { PlanId = plan.Id, NoticeType = NoticeTypes.TerminationNotice, DueAt = now });
        foreach (var days in reminders)
        {
            s.Db.TerminationNoticeRuns.Add(new TerminationNoticeRun { PlanId = plan.Id, NoticeType = NoticeTypes.TerminationReminder, DueAt = endsAt.AddDays(-days) });
        }

        s.Db.AddIntegrationEvent(new ServiceTerminationAnnounced(plan.Id, endsAt, now), now);
        try
        {
            await s.Db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return Problem(409, "Already announced", "A termination plan exists; the service ends only once.");
        }

        s.Signal.Notify();
        return TypedResults.Created($"/v1/termination-plans/{plan.Id}", await PlanViewAsync(s.Db, plan, cancellationToken));
    }

    public static async Task<Results<Ok<TerminationPlanView>, NotFound<ProblemDetails>>> GetPlan(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var plan = await s.Db.TerminationPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        return plan is null
            ? TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "No such plan", Detail = "No termination plan has this id." })
            : TypedResults.Ok(await PlanViewAsync(s.Db, plan, cancellationToken));
    }

    private static async Task<TerminationPlanView> PlanViewAsync(RetentionDbContext db, TerminationPlan plan, CancellationToken cancellationToken)
    {
        var runs = await db.TerminationNoticeRuns.AsNoTracking().Where(r => r.PlanId == plan.Id).OrderBy(r => r.DueAt).ToListAsync(cancellationToken);
        var total = await db.Subjects.LongCountAsync(cancellationToken);
        var removed = await db.Subjects.LongCountAsync(x => x.ErasedAt != null, cancellationToken);
        var held = await db.Subjects.LongCountAsync(x => x.ErasedAt == null && db.LegalHolds.Any(h => h.ReleasedAt == null && h.SubjectId == x.SubjectId), cancellationToken);
        var state = plan.CollectionStoppedAt is null ? "announced" : removed == total ? "completed" : "removing";
        return new TerminationPlanView(plan.Id, plan.EndsAt, plan.Action, plan.AnnouncedAt, plan.AnnouncedBy, state, plan.CollectionStoppedAt,
            total, runs.FirstOrDefault(r => r.NoticeType == NoticeTypes.TerminationNotice)?.Sent ?? 0, removed, total - removed, held,
            runs.Select(r => new NoticeRunView(r.NoticeType, r.DueAt, r.Sent, r.CompletedAt)).ToList());
    }

    public static async Task<Results<Ok<SubjectRetentionView>, ProblemHttpResult>> GetSubject(string subjectId, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Problem(400, "Invalid subject id", "A subject id is 1-64 letters, digits, '-', '_', '.' or ':'.");
        }

        var subject = await s.Db.Subjects.AsNoTracking().SingleOrDefaultAsync(x => x.SubjectId == subjectId, cancellationToken);
        var categories = await s.Db.Inventory.Where(i => i.SubjectId == subjectId).Select(i => i.Category).Distinct().ToListAsync(cancellationToken);
        var holds = await s.Db.LegalHolds.AsNoTracking()
            .Where(h => h.ReleasedAt == null && (h.SubjectId == subjectId || (h.SubjectId == null && h.Category != null && categories.Contains(h.Category.Value))))
            .OrderBy(h => h.PlacedAt).ToListAsync(cancellationToken);
        var views = await WithAuditAsync(s.Db, holds, cancellationToken);
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
        if (!SubjectId.TryParse(subjectId, out _))
        {
            return Problem(400, "Invalid subject id", "A subject id is 1-64 letters, digits, '-', '_', '.' or ':'.");
        }

        await s.Db.MarkMinorAsync(subjectId, s.Time.GetUtcNow(), cancellationToken);
        return TypedResults.Accepted($"/v1/subjects/{subjectId}/retention");
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> MarkFulfilled(string subjectId, string purpose, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (!SubjectId.TryParse(subjectId, out _) || !PurposeCode.TryParse(purpose, out _))
        {
            return Problem(400, "Invalid subject or purpose", "A subject id is 1-64 letters, digits, '-', '_', '.' or ':'; a purpose is a lower-case purpose code.");
        }

        await s.Db.RecordFulfilmentAsync(subjectId, purpose, s.Time.GetUtcNow(), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<CertificateView>, NotFound<ProblemDetails>>> GetCertificate(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var c = await s.Db.DeletionCertificates.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken);
        return c is null
            ? TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "No such certificate", Detail = "No deletion certificate has this id." })
            : TypedResults.Ok(new CertificateView(c.Id, c.SubjectId, c.Outcome, c.Reason, c.Categories, c.TokenCount, c.CompletedAt, c.Regions, c.IssuedAt));
    }
}
