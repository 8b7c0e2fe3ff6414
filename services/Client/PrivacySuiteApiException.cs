using System.Net.Http.Json;
using System.Text.Json;

namespace PrivacySuite.Client;

/// <summary>
/// A refusal from a PrivacySuite service, from its RFC 9457 problem details: the HTTP <see cref="Status"/>, the
/// <see cref="Title"/>, the <see cref="Detail"/> (what went wrong and what to do), the stable <see cref="Reason"/> code
/// of the <c>reason</c> extension where the service gives one (<c>no-consent</c>, <c>erased</c>,
/// <c>idempotency-key-reused</c>, …), and for a 400 the fields in <see cref="Errors"/>. Neither the message nor the
/// properties carry personal data: the services never put any in a problem, and the message holds only the service,
/// status and title.
/// </summary>
public class PrivacySuiteApiException(string service, int status, string? title, string? detail, string? reason, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception($"The {service} service answered {status}: {title}")
{
    /// <summary><c>consent</c> or <c>vault</c>.</summary>
    public string Service { get; } = service;

    public int Status { get; } = status;

    public string? Title { get; } = title;

    /// <summary>What went wrong and what to do; never personal data.</summary>
    public string? Detail { get; } = detail;

    /// <summary>The problem's <c>reason</c> code, where the service names one.</summary>
    public string? Reason { get; } = reason;

    /// <summary>A validation problem's fields and what is wrong with each (empty otherwise).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();
}

/// <summary>Sends a request and reads its answer or its problem: the one place both clients turn HTTP into results and exceptions.</summary>
internal static class ApiTransport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public delegate PrivacySuiteApiException Refusal(int status, string? title, string? detail, string? reason, IReadOnlyDictionary<string, string[]>? errors);

    public static HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        return request;
    }

    public static async Task<T> SendAsync<T>(HttpClient http, HttpRequestMessage request, Refusal refusal, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemAsync(response, refusal, cancellationToken);
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw refusal((int)response.StatusCode, "Empty answer", null, null, null);
    }

    private static async Task<PrivacySuiteApiException> ProblemAsync(HttpResponseMessage response, Refusal refusal, CancellationToken cancellationToken)
    {
        string? title = response.ReasonPhrase, detail = null, reason = null;
        Dictionary<string, string[]>? errors = null;
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var root = problem.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : title;
                detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    errors = e.Deserialize<Dictionary<string, string[]>>(Json);
                }
            }
        }
        catch (JsonException)
        {
            // Not problem details (a proxy's page, say): the status says enough.
        }

        return refusal((int)response.StatusCode, title, detail, reason, errors);
    }
}
