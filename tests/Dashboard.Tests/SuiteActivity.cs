using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PrivacySuite.Dashboard.Tests;

/// <summary>Real work done through the services' own APIs, as product backends and the on-call team would do it.</summary>
public static class SuiteActivity
{
    /// <summary>Registers a subject and grants a consent in consent-{region}; ConsentGranted then reaches vault-{region} through the outbox and RabbitMQ.</summary>
    public static async Task<string> GrantConsentAsync(DashboardSuite suite, string region = "beijing")
    {
        using var consent = suite.ProductBackend($"consent-{region}");
        var subject = $"s-{Guid.NewGuid():N}";
        using var registered = await consent.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "infobird", birthDate = new DateOnly(1990, 5, 17) });
        await ExpectAsync(registered, HttpStatusCode.Created);
        using var granted = await consent.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
            new { purpose = "personalisation", policyVersion = "1.0", collectionMethod = "app-consent-screen", jurisdiction = "CN" });
        await ExpectAsync(granted, HttpStatusCode.Created);
        return subject;
    }

    /// <summary>Declares a data leak and grades it II, so the regulator's report clock runs.</summary>
    public static async Task<Guid> DeclareIncidentAsync(DashboardSuite suite, string title, string region = "beijing")
    {
        using var incidents = suite.Person($"incidents-{region}", "on-call");
        using var declared = await incidents.PostAsJsonAsync("/v1/incidents/",
            new { title, type = "DataLeak", place = "orders database replica", awareAt = DateTimeOffset.UtcNow.AddMinutes(-20) });
        await ExpectAsync(declared, HttpStatusCode.Created);
        var id = (await declared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var graded = await incidents.PostAsJsonAsync($"/v1/incidents/{id}/grade",
            new { peopleAffected = 12000, categories = new[] { "contact", "identity" }, economicLossCny = 0, criticalSystemOutageMinutes = 0, overrideGrade = "II", overrideReason = "Identity documents among the records" });
        await ExpectAsync(graded, HttpStatusCode.OK);
        return id;
    }

    /// <summary>Stores a subject's contact data in the vault and starts an access request, which waits for the subject's code.</summary>
    public static async Task<Guid> StartSubjectRequestAsync(DashboardSuite suite, string region = "beijing")
    {
        using var vault = suite.ProductBackend($"vault-{region}");
        var subject = $"s-{Guid.NewGuid():N}";
        using var stored = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/data",
            new { category = "contact", source = "provided", fields = new { email = $"{subject}@example.cn", language = "en" } });
        await ExpectAsync(stored, HttpStatusCode.Created, HttpStatusCode.OK);
        using var started = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/verifications", new { request = "access" });
        await ExpectAsync(started, HttpStatusCode.Accepted);
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
    }

    public static async Task<Guid> PlaceLegalHoldAsync(DashboardSuite suite, string region = "beijing")
    {
        using var retention = suite.Person($"retention-{region}", "privacy-officer");
        using var placed = await retention.PostAsJsonAsync("/v1/legal-holds/",
            new { category = "Delivery", reasonCode = "authority", reference = "SAMR inquiry 2026-117", reviewAt = DateTimeOffset.UtcNow.AddDays(30) });
        await ExpectAsync(placed, HttpStatusCode.Created, HttpStatusCode.OK);
        return (await placed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task<Guid> StartSweepAsync(DashboardSuite suite, string region = "beijing")
    {
        using var retention = suite.Person($"retention-{region}", "operator");
        using var started = await retention.PostAsJsonAsync("/v1/sweeps/", new { dryRun = false });
        await ExpectAsync(started, HttpStatusCode.Created, HttpStatusCode.Accepted, HttpStatusCode.OK);
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task<Guid> SendCampaignAsync(DashboardSuite suite, IReadOnlyList<string> subjects, string region = "beijing")
    {
        using var notifications = suite.Person($"notifications-{region}", "privacy-officer");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/notices/")
        {
            Content = JsonContent.Create(new
            {
                noticeType = "policy-update",
                subjectIds = subjects,
                variables = new Dictionary<string, string>
                {
                    ["policyVersion"] = "2026-12",
                    ["effectiveDate"] = "2026-12-31",
                    ["summary"] = "We now keep delivery data for 90 days instead of 180.",
                    ["reviewUrl"] = "https://example.com/policy/2026-12",
                },
            }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        using var sent = await notifications.SendAsync(request);
        await ExpectAsync(sent, HttpStatusCode.Accepted);
        return (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requestId").GetGuid();
    }

    /// <summary>Finds, through GET /api/traces, the trace whose spans mention <paramref name="marker"/> and come from all of <paramref name="resources"/>.</summary>
    public static async Task<string> TraceAsync(DashboardSuite suite, string marker, params string[] resources)
    {
        using var dashboard = suite.Dashboard();
        string? found = null;
        await Eventually.HoldsAsync(async () =>
        {
            var traces = await dashboard.GetFromJsonAsync<JsonElement>($"/api/traces?resource={resources[^1]}&limit=500");
            foreach (var trace in traces.GetProperty("traces").EnumerateArray())
            {
                var spans = trace.GetProperty("spans").EnumerateArray().ToList();
                var mentions = spans.Any(s => s.GetProperty("attributes").EnumerateObject().Any(a => a.Value.GetString()!.Contains(marker, StringComparison.Ordinal)));
                var from = spans.Select(s => s.GetProperty("resource").GetProperty("name").GetString()).ToHashSet();
                if (mentions && resources.All(from.Contains))
                {
                    found = trace.GetProperty("traceId").GetString();
                    return true;
                }
            }

            return false;
        }, TimeSpan.FromSeconds(30), $"a trace mentioning the request with spans from {string.Join(" and ", resources)}");
        return found!;
    }

    private static async Task ExpectAsync(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
