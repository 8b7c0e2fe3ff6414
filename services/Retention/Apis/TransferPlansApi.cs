using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Apis;

/// <summary>Transfers in a merger or acquisition (INF-5.3): planned and completed by the privacy officer, followed by operators.</summary>
public static class TransferPlansApi
{
    public static IEndpointRouteBuilder MapTransferPlansApi(this IEndpointRouteBuilder app)
    {
        var plans = app.MapGroup("/v1/transfer-plans").WithTags("Retention");
        plans.MapPost("/", CreatePlan).WithName("CreateTransferPlan").RequireRoles(SuiteRoles.PrivacyOfficer)
            .WithSummary("Plans a transfer to another controller; every subject with data of its categories is told before the date (INF-5.3).");
        plans.MapGet("/", ListPlans).WithName("ListTransferPlans").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator)
            .WithSummary("Transfer plans, newest first, with their progress.");
        plans.MapGet("/{id:guid}", GetPlan).WithName("GetTransferPlan").RequireRoles(SuiteRoles.PrivacyOfficer, SuiteRoles.Operator)
            .WithSummary("A transfer plan and its progress.");
        plans.MapPost("/{id:guid}/completion", CompletePlan).WithName("CompleteTransferPlan").RequireRoles(SuiteRoles.PrivacyOfficer)
            .WithSummary("Records that the transfer took place: on or after its date, once every affected subject was told.");
        return app;
    }

    public static async Task<Results<Created<TransferPlanView>, ProblemHttpResult>> CreatePlan(
        CreateTransferPlanRequest request, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        if (request.Categories.Any(c => !Enum.IsDefined(c)))
        {
            return Problems.Problem(400, "Unknown category", $"Categories are {string.Join(", ", Enum.GetNames<DataCategory>())}.");
        }

        var outcome = await s.Db.PlanTransferAsync(request.Recipient, request.RecipientContact, request.TransferDate!.Value, request.Categories,
            request.Purposes, request.ObligationsAcceptedBy, request.AgreementReference, s.Options.Value.MinimumTransferNoticeDays, s.Caller,
            s.Time.GetUtcNow(), cancellationToken);
        if (outcome is not Outcome<TransferPlan>.Done { Value: var plan })
        {
            return Problems.Refused(outcome);
        }

        s.Signal.Notify();
        return TypedResults.Created($"/v1/transfer-plans/{plan.Id}", TransferPlanView.From(plan));
    }

    public static async Task<Ok<List<TransferPlanView>>> ListPlans([AsParameters] RetentionServices s, CancellationToken cancellationToken) =>
        TypedResults.Ok((await s.Db.TransferPlans.AsNoTracking().OrderByDescending(p => p.PlannedAt).Take(100).ToListAsync(cancellationToken))
            .Select(TransferPlanView.From).ToList());

    public static async Task<Results<Ok<TransferPlanView>, NotFound<ProblemDetails>>> GetPlan(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken) =>
        await s.Db.TransferPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken) is { } plan
            ? TypedResults.Ok(TransferPlanView.From(plan))
            : Problems.NotFound("No such transfer plan", "No transfer plan has this id.");

    public static async Task<Results<Ok<TransferPlanView>, ProblemHttpResult>> CompletePlan(Guid id, [AsParameters] RetentionServices s, CancellationToken cancellationToken)
    {
        var outcome = await s.Db.CompleteTransferAsync(id, s.Caller, s.Time.GetUtcNow(), cancellationToken);
        return outcome is Outcome<TransferPlan>.Done { Value: var plan } ? TypedResults.Ok(TransferPlanView.From(plan)) : Problems.Refused(outcome);
    }
}
