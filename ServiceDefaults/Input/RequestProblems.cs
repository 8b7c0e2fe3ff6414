using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace PrivacySuite.ServiceDefaults.Input;

/// <summary>How a request the service could not read is answered: 400 problem details that say what was wrong, never a 500.</summary>
public static class RequestProblems
{
    /// <summary>A 400 validation problem naming one field and what is wrong with it (never its value).</summary>
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>
    /// Failures that are the request's and not the service's: JSON that does not fit the schema, and text PostgreSQL
    /// cannot store (NUL, invalid encoding), for a value that reached the database by a path the guard did not see.
    /// </summary>
    public static bool IsClientError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is JsonException
                || e is Npgsql.PostgresException { SqlState: "22P05" or "22021" }) // untranslatable character (NUL), invalid byte sequence
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Names what was wrong with a request that could not be read, from the JSON reader's message (a path and a type, never a value).</summary>
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status is not (>= 400 and < 500) || context.Exception is null)
        {
            return;
        }

        var json = FindJson(context.Exception);
        context.ProblemDetails.Title ??= "Bad request";
        context.ProblemDetails.Detail ??= json?.Message is { } message
            ? $"The body does not fit the route's schema: {message}"
            : "The request could not be read; GET /openapi/v1.json describes what each route takes.";
        // The field, where the reader knows it, under 'errors' as a validation problem has it.
        var field = json is JsonFieldException f ? f.Field
            : json?.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        if (field is not null)
        {
            context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [json!.Message] };
        }
    }

    private static JsonException? FindJson(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is JsonException json)
            {
                return json;
            }
        }

        return null;
    }
}
