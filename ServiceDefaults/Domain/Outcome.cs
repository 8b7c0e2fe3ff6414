using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace PrivacySuite.ServiceDefaults.Domain;

/// <summary>What a verb of a service's model did, or why it refused (issue 19: the model decides, the APIs translate).</summary>
public abstract record Outcome<T>
{
    public sealed record Done(T Value) : Outcome<T>;

    public sealed record Refused(Refusal Why) : Outcome<T>;

    public static implicit operator Outcome<T>(Refusal why) => new Refused(why);

    public static implicit operator Outcome<T>(T value) => new Done(value);
}

/// <summary>
/// Why a verb refused, as the caller is told: the status class of the refusal (400 a malformed or contradictory ask,
/// naming its fields in <see cref="Errors"/>; 404 nothing to act on; 409 the state forbids it; 422 a rule forbids it; 503 try
/// again), a sentence that says the way out, a stable <see cref="Reason"/> code where callers branch on one, a
/// <see cref="Title"/> where the class's own would say too little, and what else they need to act (<see cref="Extensions"/>).
/// </summary>
public sealed record Refusal(int Status, string Detail, string? Reason = null, IReadOnlyDictionary<string, object?>? Extensions = null,
    IReadOnlyDictionary<string, string[]>? Errors = null, string? Title = null)
{
    public static Refusal Invalid(string field, string detail) => Invalid(new Dictionary<string, string[]> { [field] = [detail] });

    /// <summary>A 400 naming each field that is wrong and why.</summary>
    public static Refusal Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(400, string.Join(" ", errors.SelectMany(e => e.Value)), Errors: errors);

    public static Refusal NotFound(string detail, string? title = null) => new(404, detail, Title: title);

    public static Refusal Conflict(string detail, IReadOnlyDictionary<string, object?>? extensions = null, string? title = null) =>
        new(409, detail, Extensions: extensions, Title: title);

    public static Refusal Unprocessable(string detail, string? reason = null, string? title = null) => new(422, detail, reason, Title: title);

    /// <summary>The title of a refusal of <paramref name="status"/> that names none of its own: one wording in every service.</summary>
    public static string TitleOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is not valid",
        StatusCodes.Status403Forbidden => "The request is not allowed",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "The request conflicts with the data's state",
        StatusCodes.Status410Gone => "The data was erased",
        StatusCodes.Status422UnprocessableEntity => "The request cannot be carried out",
        StatusCodes.Status503ServiceUnavailable => "Try again later",
        _ => "The request was refused",
    };

    /// <summary>
    /// The refusal as problem details (RFC 9457): one naming fields as a validation problem (<c>errors</c>), the rest
    /// with their title, reason code and whatever else the caller needs beside the detail.
    /// </summary>
    public ProblemDetails ToProblemDetails()
    {
        if (Errors is { } errors)
        {
            return new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value)) { Status = StatusCodes.Status400BadRequest };
        }

        var problem = new ProblemDetails { Status = Status, Title = Title ?? TitleOf(Status), Detail = Detail };
        foreach (var (key, value) in Extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        if (Reason is { } reason)
        {
            problem.Extensions["reason"] = reason;
        }

        return problem;
    }

    /// <summary>The refusal as the answer of an endpoint (see <see cref="ToProblemDetails"/>).</summary>
    public ProblemHttpResult ToProblem() => TypedResults.Problem(ToProblemDetails());
}
