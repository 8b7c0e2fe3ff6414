using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using PrivacySuite.Notifications.Apis;

namespace PrivacySuite.Notifications.Tests;

internal static class TestHelpers
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static string NewSubject(string prefix = "s") => $"{prefix}-{Guid.NewGuid():N}"[..20];

    public static async Task<HttpResponseMessage> SendNoticeAsync(this HttpClient client, string noticeType, IEnumerable<string> subjects,
        IReadOnlyDictionary<string, string> variables, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/notices")
        {
            Content = JsonContent.Create(new { noticeType, subjectIds = subjects.ToArray(), variables }),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey ?? Guid.NewGuid().ToString());
        return await client.SendAsync(request);
    }

    public static async Task<NoticeRequestView> AcceptedAsync(this HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<NoticeRequestView>())!;
    }

    public static async Task<NoticeRequestView> ProgressAsync(this HttpClient client, Guid requestId) =>
        (await client.GetFromJsonAsync<NoticeRequestView>($"/v1/notices/{requestId}"))!;

    public static async Task<NoticeRequestView> CompletedAsync(this HttpClient client, Guid requestId)
    {
        NoticeRequestView? view = null;
        await Eventually.HoldsAsync(async () =>
        {
            view = await client.ProgressAsync(requestId);
            return view.Pending == 0;
        }, Patience, $"request {requestId} completes");
        return view!;
    }

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    public static Dictionary<string, string> IncidentVariables() => new()
    {
        ["incidentId"] = "INC-2026-0042",
        ["whatHappened"] = "An attacker read part of the order database on 2026-11-20.",
        ["possibleImpact"] = "Your delivery address and phone number may be known to others.",
        ["measuresTaken"] = "We closed the weakness, reset the keys and reported to the authority.",
        ["whatYouCanDo"] = "Beware of calls that ask for codes or payments.",
        ["remedies"] = "A year of free identity monitoring; claim it in the app.",
        ["securityAdvice"] = "Change your password and turn on two-step sign-in.",
        ["contact"] = "security@example.com, 400-000-0000",
    };

    public static Dictionary<string, string> PolicyVariables() => new()
    {
        ["policyVersion"] = "2026-12",
        ["effectiveDate"] = "2026-12-31",
        ["summary"] = "We now keep delivery data for 90 days instead of 180.",
        ["reviewUrl"] = "https://example.com/policy/2026-12",
    };
}
