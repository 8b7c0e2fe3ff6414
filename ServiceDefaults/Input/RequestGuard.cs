using System.Buffers;
using System.Security.Claims;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Domain;

namespace PrivacySuite.ServiceDefaults.Input;

/// <summary>
/// What every route refuses before its handler runs, whatever the server in front of it: a body over the route's limit
/// (413; <see cref="DefaultMaxBodyBytes"/> unless the route names a larger one with <c>RequestSizeLimit</c>), a body
/// that is not valid UTF-8 (400), a path or query value holding a control character (400), and a <c>{subjectId}</c> in
/// the route that is not a subject id (400, the one rule and message of <see cref="SubjectIdRule"/>), and a person
/// signed in as a subject naming another subject's id (403, <see cref="SubjectIdRule.IsSomeoneElses"/>). Each answer
/// is problem details, and nothing has been read or written when it is given.
/// </summary>
public sealed class RequestGuard(RequestDelegate next, IProblemDetailsService problems)
{
    /// <summary>The largest body a route takes unless it says otherwise: every request of the suite is a few kilobytes.</summary>
    public const long DefaultMaxBodyBytes = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        // Every error body of the suite is problem details; a handler that returned NotFound<ProblemDetails> says application/json.
        context.Response.OnStarting(static state =>
        {
            var response = (HttpResponse)state;
            if (response.StatusCode >= 400 && response.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
            {
                response.ContentType = "application/problem+json; charset=utf-8";
            }

            return Task.CompletedTask;
        }, context.Response);

        var request = context.Request;
        if (StringsOf(request).Any(s => StrictJson.HasForbiddenCharacter(s)))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "Control character in the address",
                "A path or query value holds a control character; no identifier or text of the suite may.");
            return;
        }

        if (request.RouteValues.TryGetValue(SubjectIdRule.RouteValue, out var subjectId) && !SubjectId.TryParse(subjectId as string, out _))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [SubjectIdRule.RouteValue] = [SubjectIdRule.Message] })
                {
                    Status = StatusCodes.Status400BadRequest,
                },
            });
            return;
        }

        if (subjectId is string named && SubjectIdRule.IsSomeoneElses(context.User, named))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "Not your data",
                "A person signed in as a subject can only see and act on their own data.", "not-your-data");
            return;
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false } || request.ContentLength == 0)
        {
            await next(context);
            return;
        }

        var limit = MaxBodyBytes(context);
        if (request.ContentLength > limit)
        {
            await TooLargeAsync(context, limit);
            return;
        }

        var (body, length) = await ReadAsync(request.Body, limit, context.RequestAborted);
        try
        {
            if (length > limit)
            {
                await TooLargeAsync(context, limit);
                return;
            }

            if (!Utf8.IsValid(body.AsSpan(0, (int)length)))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "Body is not UTF-8",
                    "The request body must be valid UTF-8 (RFC 8259); nothing was read from it.");
                return;
            }

            request.Body = new MemoryStream(body, 0, (int)length, writable: false);
            request.ContentLength = length;
            await next(context);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>The route's own limit (<see cref="IRequestSizeLimitMetadata"/>), else the default; null there means the default too.</summary>
    public static long MaxBodyBytes(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? DefaultMaxBodyBytes;

    private static long MaxBodyBytes(HttpContext context) => MaxBodyBytes(context.GetEndpoint());

    private static IEnumerable<string> StringsOf(HttpRequest request)
    {
        if (request.Path.Value is { } path)
        {
            yield return path;
        }

        foreach (var (key, values) in request.Query)
        {
            yield return key;
            foreach (var value in values)
            {
                if (value is not null)
                {
                    yield return value;
                }
            }
        }
    }

    private static async Task<(byte[] Buffer, long Length)> ReadAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit)
                {
                    return (buffer, length);
                }

                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Math.Min(limit + 1, Array.MaxLength)));
                buffer.AsSpan(0, (int)length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await body.ReadAsync(buffer.AsMemory((int)length), cancellationToken);
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
        }
    }

    private Task TooLargeAsync(HttpContext context, long limit) =>
        RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "Body too large",
            $"This route takes at most {limit} bytes of body; nothing was read from it.");

    private async Task RefuseAsync(HttpContext context, int status, string title, string detail, string? reason = null)
    {
        context.Response.StatusCode = status;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new Refusal(status, detail, reason, Title: title).ToProblemDetails(),
        });
    }
}

/// <summary>
/// The one rule for a subject id in a route (<c>{subjectId}</c>), checked for every route of every service before its
/// handler runs (<see cref="RequestGuard"/>), and the one sentence a caller is told when an id breaks it. Ids in bodies
/// and query strings are checked by their handlers with the same rule (<see cref="SubjectId.TryParse"/>) and message.
/// </summary>
public static class SubjectIdRule
{
    public const string RouteValue = "subjectId";

    public static readonly string Message =
        $"A subject id is 1-{SubjectId.MaxLength} letters, digits or . _ : - chosen by the product backend, never personal data such as an e-mail address.";

    private static readonly string[] ActingForOthers =
        [SuiteRoles.ProductBackend, SuiteRoles.Operator, SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer, SuiteRoles.Service];

    /// <summary>
    /// Whether <paramref name="user"/> is a person signed in as a subject (a subject's role and no role that acts for
    /// others) and <paramref name="subjectId"/> is not their own: people see and act on their own data only.
    /// </summary>
    public static bool IsSomeoneElses(ClaimsPrincipal user, string subjectId) =>
        user.IsInRole(SuiteRoles.Subject) && !ActingForOthers.Any(user.IsInRole) && user.FindFirstValue(ClaimTypes.NameIdentifier) != subjectId;
}
