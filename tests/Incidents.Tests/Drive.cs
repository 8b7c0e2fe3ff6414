using System.Net;
using System.Net.Http.Json;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;

namespace PrivacySuite.Incidents.Tests;

/// <summary>The on-call team's moves, as HTTP calls; each asserts the call was accepted.</summary>
public static class Drive
{
    public static NoticeText Text(string language) => new(
        $"[{language}] An unauthorised party read a copy of the customer table.",
        $"[{language}] Your contact details may be used for phishing.",
        $"[{language}] We closed the access path and rotated every key.",
        $"[{language}] Be wary of messages that ask for codes or payments.",
        $"[{language}] Call the support line for a free account review.",
        $"[{language}] Change your password and turn on two-step sign-in.");

    public static ReportContent FullReport(string operatorName = "PrivacySuite operator") => new(
        operatorName, DateTimeOffset.Parse("2026-11-01T01:00:00Z"), "Beijing region, customer database", "DataLeak, grade III",
        "1,000,000 people: contact and identity", "Access path closed, keys rotated", "No further reads since 02:10",
        "Contained; no spread", "Misconfigured replica exposed to the internet", "Source address 203.0.113.7",
        "Full forensic review; notify subjects", "None");

    /// <summary>Asserts the status, showing the problem details when it differs.</summary>
    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"Expected {expected}, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public static async Task<IncidentView> DeclareAsync(HttpClient client, DateTimeOffset awareAt, IncidentType type = IncidentType.DataLeak, string title = "Customer table read from an exposed replica")
    {
        using var response = await client.PostAsJsonAsync("/v1/incidents", new { title, type, place = "Beijing region, customer database", awareAt });
        await ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<IncidentView>())!;
    }

    public static async Task<IncidentView> GradeAsync(HttpClient client, Guid id, long people, string[]? categories = null)
    {
        using var response = await client.PostAsJsonAsync($"/v1/incidents/{id}/grade",
            new { peopleAffected = people, categories = categories ?? ["contact", "identity"], economicLossCny = 0, criticalSystemOutageMinutes = 0 });
        await ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<IncidentView>())!;
    }

    public static async Task<IncidentView> ContainAsync(HttpClient client, Guid id)
    {
        var incident = await ShowAsync(client, id);
        foreach (var task in incident.Tasks.Where(t => t.DoneAt is null))
        {
            using var done = await client.PutAsJsonAsync($"/v1/incidents/{id}/tasks/{task.Id}", new { done = true });
            await ExpectAsync(done, HttpStatusCode.OK);
        }

        using var response = await client.PostAsync($"/v1/incidents/{id}/contain", null);
        await ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<IncidentView>())!;
    }

    public static async Task FileReportAsync(HttpClient client, Guid id, ReportKind kind, bool complete = false)
    {
        using var response = await client.PostAsJsonAsync($"/v1/incidents/{id}/reports", new { kind, content = FullReport(), complete });
        await ExpectAsync(response, HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> NotifyAsync(HttpClient client, Guid id, DateTimeOffset from, DateTimeOffset to) =>
        NotifyAsync(client, id, new { kind = "window", categories = new[] { "contact", "identity" }, from, to });

    /// <summary>Starts the notice campaign for <paramref name="affected"/> (one scope: window, subjects, category or everyone).</summary>
    public static Task<HttpResponseMessage> NotifyAsync(HttpClient client, Guid id, object affected) =>
        client.PostAsJsonAsync($"/v1/incidents/{id}/notify", new { affected, zhCn = Text("zh-CN"), en = Text("en") });

    public static async Task<IncidentView> ShowAsync(HttpClient client, Guid id) =>
        (await client.GetFromJsonAsync<IncidentView>($"/v1/incidents/{id}"))!;
}
