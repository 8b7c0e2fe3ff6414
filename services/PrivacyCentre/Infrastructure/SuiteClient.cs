using System.Net;
using System.Net.Http.Headers;
using Microsoft.IdentityModel.Tokens;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.PrivacyCentre.Infrastructure;

/// <summary>
/// Calls the suite's services for the person signed in, with a token minted for them alone (issuer
/// privacysuite-privacy-centre, role subject, five minutes; for a guardian acting for a minor, the minor's with the
/// guardian in its act claim), or for no one (the vault's sign-in). The services decide everything; the centre passes
/// their answers on, problem details included. A service that cannot be reached, or that fails, is 502 problem
/// details: the person is told to look and try again, never shown a stack or an address.
/// </summary>
public sealed class SuiteClient(IHttpClientFactory clients, IOptions<PrivacyCentreOptions> options, IOptions<SuiteAuthOptions> auth,
    TimeProvider time, ILogger<SuiteClient> logger)
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(5);

    private readonly Lazy<ECDsaSecurityKey> _key = new(() =>
        SuiteTokens.ReadPrivateKey(options.Value.SigningKey)
        ?? throw new InvalidOperationException("PrivacySuite:PrivacyCentre:SigningKey is not the base64 PKCS#8 of a P-256 key."));

    /// <summary>
    /// Sends a request for <paramref name="subjectId"/>, or for a guardian (<paramref name="actor"/>) acting for that
    /// minor, and answers what the service answered.
    /// </summary>
    public Task<ServiceAnswer> SendAsync(string service, HttpMethod method, string path, string subjectId, string? actor, object? body, CancellationToken ct) =>
        SendCoreAsync(service, method, path, subjectId, actor, null, body, ct);

    /// <summary>
    /// Sends a request for nobody yet (the vault's sign-in, retention's receipts), naming the person's address in
    /// <c>X-Forwarded-For</c>: the service, which trusts the centre as a proxy, counts its limits per client address for
    /// the person, not the centre.
    /// </summary>
    public Task<ServiceAnswer> SendAnonymousAsync(string service, HttpMethod method, string path, IPAddress? client, object? body, CancellationToken ct) =>
        SendCoreAsync(service, method, path, null, null, client, body, ct);

    private async Task<ServiceAnswer> SendCoreAsync(string service, HttpMethod method, string path, string? subjectId, string? actor,
        IPAddress? client, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (client is not null)
        {
            request.Headers.Add("X-Forwarded-For", client.ToString());
        }

        if (subjectId is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SuiteTokens.Issue(_key.Value, SuiteAuthOptions.PrivacyCentreIssuer,
                auth.Value.Audience, subjectId, [SuiteRoles.Subject], time.GetUtcNow(), TokenLifetime, actor));
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        try
        {
            using var response = await clients.CreateClient(service).SendAsync(request, ct);
            var content = await response.Content.ReadAsByteArrayAsync(ct);
            if ((int)response.StatusCode >= 500)
            {
                Log.ServiceFailed(logger, service, method.Method, RouteOf(path), ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return ServiceAnswer.Unavailable(service);
            }

            return new ServiceAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), content);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !ct.IsCancellationRequested)
        {
            Log.ServiceFailed(logger, service, method.Method, RouteOf(path), e.GetType().Name);
            return ServiceAnswer.Unavailable(service);
        }
    }

    /// <summary>The regions' addresses of <paramref name="service"/>, the primary first, from the AppHost's references.</summary>
    public static IReadOnlyList<Uri> RegionsOf(string service, IConfiguration configuration, PrivacyCentreOptions options) =>
        [.. options.Regions.Select(region => configuration[$"services:{service}-{region}:http:0"] is { Length: > 0 } url
            ? new Uri(url)
            : throw new InvalidOperationException($"services:{service}-{region}:http:0 is not configured: the AppHost references every service of every region."))];

    /// <summary>The path without its ids, for logs: subject ids and verification ids stay out of them.</summary>
    private static string RouteOf(string path) =>
        string.Join('/', path.Split('?')[0].Split('/').Select((segment, i) => i > 2 && segment.Length > 0 && !IsWord(segment) ? "{id}" : segment));

    private static bool IsWord(string segment) => segment.All(c => c is >= 'a' and <= 'z' or '-');
}

/// <summary>A service's answer as the centre passes it on.</summary>
public sealed record ServiceAnswer(int Status, string? ContentType, byte[] Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public static ServiceAnswer Unavailable(string service) => new(StatusCodes.Status502BadGateway, "application/problem+json",
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = "https://tools.ietf.org/html/rfc9110#section-15.6.3",
            title = "The suite did not answer",
            status = 502,
            detail = $"The {service} service could not be reached or failed just now. Reload to see what was done, and try again in a moment.",
        }));

    public T? Read<T>() => JsonSerializer.Deserialize<T>(Body, JsonSerializerOptions.Web);

    /// <summary>The answer as the centre's own: same status, same body, problem details included.</summary>
    public IResult ToResult() => new Passed(this);

    private sealed class Passed(ServiceAnswer answer) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = answer.Status;
            if (answer.Body.Length == 0)
            {
                return Task.CompletedTask;
            }

            context.Response.ContentType = answer.ContentType ?? "application/json";
            return context.Response.Body.WriteAsync(answer.Body).AsTask();
        }
    }
}
