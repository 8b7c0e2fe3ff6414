using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PrivacySuite.Operations.Tests;

/// <summary>The console's own sign-in and its read-only API, against the running suite.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ApiTests(ConsoleFixture console)
{
    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "/api/session" },
        { "POST", "/api/logout" },
        { "GET", "/api/incidents" },
        { "GET", "/api/subject-requests" },
        { "GET", "/api/notices" },
        { "GET", "/api/pages" },
        { "GET", "/api/policy-announcements" },
        { "GET", "/api/retention" },
        { "GET", "/api/queues" },
        { "GET", "/api/regions" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_api_route_answers_401_with_problem_details_without_the_cookie(string method, string path)
    {
        using var client = await console.ConsoleClientAsync(signedIn: false);

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_sets_no_cookie()
    {
        using var client = await console.ConsoleClientAsync(signedIn: false);

        using var response = await client.PostAsJsonAsync("/api/login", new { password = "not-the-password" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_right_password_sets_an_http_only_same_site_strict_cookie_and_sign_out_ends_the_session()
    {
        using var client = await console.ConsoleClientAsync(signedIn: false);

        using var login = await client.PostAsJsonAsync("/api/login", new { password = console.Password });

        Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        using (var session = await client.GetAsync("/api/session"))
        {
            Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
        }

        using (var logout = await client.PostAsync("/api/logout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var after = await client.GetAsync("/api/session");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Repeated_wrong_passwords_are_answered_429_with_retry_after_and_the_operator_signs_in_once_it_has_passed()
    {
        using var client = await console.ConsoleClientAsync(signedIn: false);
        HttpResponseMessage? throttled = null;
        for (var attempt = 0; attempt < 10 && throttled is null; attempt++)
        {
            var response = await client.PostAsJsonAsync("/api/login", new { password = $"guess-{attempt}" });
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(throttled);
        var retryAfter = throttled.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
        // Throttled means throttled: the right password waits too.
        using (var right = await client.PostAsJsonAsync("/api/login", new { password = console.Password }))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        }

        throttled.Dispose();
        await Task.Delay(retryAfter.Value + TimeSpan.FromSeconds(1));
        using var later = await client.PostAsJsonAsync("/api/login", new { password = console.Password });
        Assert.Equal(HttpStatusCode.NoContent, later.StatusCode);
    }

    [Fact]
    public async Task The_incident_comes_once_from_the_primary_regions_service_with_its_regulator_clock()
    {
        using var client = await console.ConsoleClientAsync(signedIn: true);

        var answers = await client.GetFromJsonAsync<JsonElement>("/api/incidents");

        var answer = Assert.Single(answers.EnumerateArray());
        Assert.Equal(console.Suite.Primary, answer.GetProperty("region").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("error").ValueKind);
        var incident = Assert.Single(answer.GetProperty("data").EnumerateArray(), i => i.GetProperty("id").GetGuid() == console.IncidentId);
        Assert.Equal("II", incident.GetProperty("grade").GetString());
        Assert.True(incident.GetProperty("clock").GetProperty("reportRequired").GetBoolean());
    }

    [Fact]
    public async Task Regions_show_one_primary_streaming_to_its_standby_and_queues_read_both_brokers_and_every_outbox()
    {
        using var client = await console.ConsoleClientAsync(signedIn: true);

        var regions = (await client.GetFromJsonAsync<JsonElement>("/api/regions")).EnumerateArray().ToList();
        var queues = (await client.GetFromJsonAsync<JsonElement>("/api/queues")).EnumerateArray().ToList();

        var primary = Assert.Single(regions, r => r.GetProperty("role").GetString() == "primary");
        Assert.Equal(console.Suite.Primary, primary.GetProperty("region").GetString());
        Assert.Single(regions, r => r.GetProperty("role").GetString() == "standby");
        Assert.NotEmpty(primary.GetProperty("replication").EnumerateArray());
        Assert.Equal(2, queues.Count);
        foreach (var region in queues)
        {
            Assert.Equal(JsonValueKind.Null, region.GetProperty("broker").GetProperty("error").ValueKind);
            Assert.NotEmpty(region.GetProperty("broker").GetProperty("queues").EnumerateArray());
            Assert.All(region.GetProperty("outboxes").EnumerateArray(), o => Assert.Equal(JsonValueKind.Number, o.GetProperty("backlog").ValueKind));
            Assert.Equal(5, region.GetProperty("outboxes").GetArrayLength());
        }
    }

    [Fact]
    public async Task The_page_carries_a_strict_content_security_policy()
    {
        using var client = await console.ConsoleClientAsync(signedIn: false);

        using var page = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
    }
}
