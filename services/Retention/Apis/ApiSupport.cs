using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PrivacySuite.Retention.Model;
using PrivacySuite.Retention.Workers;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Input;

namespace PrivacySuite.Retention.Apis;

/// <summary>The dependencies every retention handler gets.</summary>
// Services, not input: without SkipValidation the validation generator walks the DbContext's object graph and fails.
#pragma warning disable ASP0029 // SkipValidation is marked for evaluation in .NET 10; it is the only switch for this.
[Microsoft.Extensions.Validation.SkipValidation]
#pragma warning restore ASP0029
public sealed record RetentionServices(RetentionDbContext Db, TimeProvider Time, IOptions<RetentionOptions> Options, RetentionSignal Signal, HttpContext Http)
{
    public string Caller => Http.User.CallerId();
}

/// <summary>Retention's answers that are not a verb's refusal, made by <see cref="Refusal"/> as every service's are.</summary>
internal static class Problems
{
    public static ProblemHttpResult Problem(int status, string title, string detail) => new Refusal(status, detail, Title: title).ToProblem();

    /// <summary>A typed 404, so the API document shows the route's not-found answer.</summary>
    public static NotFound<ProblemDetails> NotFound(string title, string detail) => TypedResults.NotFound(Refusal.NotFound(detail, title).ToProblemDetails());

    /// <summary>A verb's refusal as problem details: its status, title and way out.</summary>
    public static ProblemHttpResult Refused<T>(Outcome<T> outcome) =>
        (outcome as Outcome<T>.Refused ?? throw new InvalidOperationException("Only a refusal is a problem.")).Why.ToProblem();

    public static ProblemHttpResult InvalidSubject() => Problem(400, "Invalid subject id", SubjectIdRule.Message);
}

internal static class RouteValues
{
    public static bool TryCategory(string value, out DataCategory category) =>
        Enum.TryParse(value, ignoreCase: true, out category) && Enum.IsDefined(category) && !int.TryParse(value, out _);

    public static bool TryPurpose(string value) => value == RetentionSchedule.AnyPurpose || PurposeCode.TryParse(value, out _);
}
