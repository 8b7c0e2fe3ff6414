using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PrivacySuite.Dashboard.Tests;

/// <summary>The dashboard's JSON APIs, as tools read them, against the running suite's real telemetry and services.</summary>
[Collection(DashboardCollection.Name)]
public sealed class ApiTests(DashboardSuite suite)
{
    [Fact]
    public async Task Traces_of_a_resource_come_as_json_with_their_spans()
    {
        var subject = await SuiteActivity.GrantConsentAsync(suite, "guangzhou");
        using var dashboard = suite.Dashboard();

        // Spans arrive from four processes, each exporting every second: wait until the whole chain is in the window.
        JsonElement trace = default;
        var chain = new List<string>();
        await Eventually.HoldsAsync(async () =>
        {
            var answer = await dashboard.GetFromJsonAsync<JsonElement>("/api/traces?resource=consent-guangzhou&limit=500");
            trace = answer.GetProperty("traces").EnumerateArray().FirstOrDefault(t => t.GetProperty("spans").EnumerateArray()
                .Any(s => s.GetProperty("attributes").EnumerateObject().Any(a => a.Value.GetString()!.Contains(subject, StringComparison.Ordinal))));
            chain = trace.ValueKind == JsonValueKind.Object ? ChainFromVaultConsumer(trace) : [];
            return chain.Count > 0 && chain[^1] == "consent-guangzhou:Server";
        }, TimeSpan.FromSeconds(30), "the consent request's trace, from the vault's consumer span back to the request");

        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        var server = spans.Single(s => s.GetProperty("kind").GetString() == "Server" && s.GetProperty("resource").GetProperty("name").GetString() == "consent-guangzhou");
        Assert.Equal("POST", server.GetProperty("attributes").GetProperty("http.request.method").GetString());
        Assert.Equal("consent-guangzhou", trace.GetProperty("rootResource").GetString());

        // Guangzhou is the standby: it passed the write to Beijing, whose outbox published the event.
        Assert.Contains("consent-guangzhou:Client", chain);
        Assert.Contains("consent-beijing:Server", chain);
        Assert.Contains("consent-beijing:Producer", chain);
        Assert.Equal("consent-guangzhou:Server", chain[^1]);

        using var one = await dashboard.GetAsync($"/api/traces/{trace.GetProperty("traceId").GetString()}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }

    /// <summary>From the vault's consumer span up its parent links: "resource:kind" of each span, the consumer first.</summary>
    private static List<string> ChainFromVaultConsumer(JsonElement trace)
    {
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        var byId = spans.ToDictionary(s => s.GetProperty("spanId").GetString()!);
        var chain = new List<string>();
        var consumer = spans.FirstOrDefault(s => s.GetProperty("kind").GetString() == "Consumer" && s.GetProperty("resource").GetProperty("name").GetString() == "vault-guangzhou");
        for (var span = consumer; span.ValueKind == JsonValueKind.Object;)
        {
            chain.Add($"{span.GetProperty("resource").GetProperty("name").GetString()}:{span.GetProperty("kind").GetString()}");
            if (span.GetProperty("parentSpanId").GetString() is not { } parent || !byId.TryGetValue(parent, out span))
            {
                break;
            }
        }

        return chain;
    }

    [Fact]
    public async Task Structured_logs_filter_by_resource_level_text_and_trace()
    {
        using var dashboard = suite.Dashboard();
        await Eventually.HoldsAsync(async () => (await dashboard.GetFromJsonAsync<JsonElement>("/api/logs?resource=vault-beijing&limit=5")).GetProperty("total").GetInt32() > 0,
            TimeSpan.FromSeconds(30), "vault-beijing's logs in the window");

        var info = await dashboard.GetFromJsonAsync<JsonElement>("/api/logs?resource=vault-beijing&level=Information&limit=2000");
        var records = info.GetProperty("logs").EnumerateArray().ToList();
        Assert.NotEmpty(records);
        Assert.All(records, r =>
        {
            Assert.Equal("vault-beijing", r.GetProperty("resource").GetProperty("name").GetString());
            Assert.True(r.GetProperty("severityNumber").GetInt32() >= 9);
        });

        var word = records[0].GetProperty("message").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var byText = await dashboard.GetFromJsonAsync<JsonElement>($"/api/logs?text={Uri.EscapeDataString(word)}&limit=50");
        Assert.All(byText.GetProperty("logs").EnumerateArray(), r => Assert.True(
            r.GetProperty("message").GetString()!.Contains(word, StringComparison.OrdinalIgnoreCase) || r.GetProperty("category").GetString()!.Contains(word, StringComparison.OrdinalIgnoreCase)));

        var traced = (await dashboard.GetFromJsonAsync<JsonElement>("/api/logs?limit=2000")).GetProperty("logs").EnumerateArray()
            .FirstOrDefault(r => r.GetProperty("traceId").ValueKind == JsonValueKind.String);
        if (traced.ValueKind == JsonValueKind.Object)
        {
            var traceId = traced.GetProperty("traceId").GetString();
            var byTrace = await dashboard.GetFromJsonAsync<JsonElement>($"/api/logs?traceId={traceId}");
            Assert.All(byTrace.GetProperty("logs").EnumerateArray(), r => Assert.Equal(traceId, r.GetProperty("traceId").GetString()));
            Assert.NotEmpty(byTrace.GetProperty("logs").EnumerateArray());
        }
    }

    [Fact]
    public async Task Metrics_of_a_resource_come_as_series_including_the_outbox_backlog()
    {
        await SuiteActivity.GrantConsentAsync(suite);
        using var dashboard = suite.Dashboard();

        JsonElement answer = default;
        await Eventually.HoldsAsync(async () =>
        {
            answer = await dashboard.GetFromJsonAsync<JsonElement>("/api/metrics?resource=consent-beijing");
            return answer.GetProperty("instruments").EnumerateArray().Any(i => i.GetProperty("name").GetString() == "privacysuite.outbox.backlog");
        }, TimeSpan.FromSeconds(30), "consent-beijing's outbox backlog gauge");

        var instruments = answer.GetProperty("instruments").EnumerateArray().ToList();
        var backlog = instruments.Single(i => i.GetProperty("name").GetString() == "privacysuite.outbox.backlog");
        Assert.Equal("gauge", backlog.GetProperty("type").GetString());
        Assert.NotEmpty(backlog.GetProperty("series")[0].GetProperty("points").EnumerateArray());
        Assert.Contains(instruments, i => i.GetProperty("type").GetString() == "histogram");
        Assert.Contains("vault-guangzhou", answer.GetProperty("resources").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Pause_stops_recording_clear_empties_the_window_and_resume_records_again()
    {
        using var dashboard = suite.Dashboard();
        try
        {
            using var paused = await dashboard.PostAsync("/api/telemetry/pause", null);
            using var cleared = await dashboard.PostAsync("/api/telemetry/clear", null);
            var state = await cleared.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(state.GetProperty("paused").GetBoolean());
            Assert.Equal(0, state.GetProperty("spans").GetInt32());

            await SuiteActivity.GrantConsentAsync(suite);
            await Task.Delay(TimeSpan.FromSeconds(3)); // exporters send every second
            var whilePaused = await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry");
            Assert.Equal(0, whilePaused.GetProperty("spans").GetInt32());
            Assert.Equal(0, whilePaused.GetProperty("logs").GetInt32());
        }
        finally
        {
            using var resumed = await dashboard.PostAsync("/api/telemetry/resume", null);
            Assert.False((await resumed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("paused").GetBoolean());
        }

        await SuiteActivity.GrantConsentAsync(suite);
        await Eventually.HoldsAsync(async () => (await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry")).GetProperty("spans").GetInt32() > 0,
            TimeSpan.FromSeconds(30), "spans recorded again after resume");
    }

    [Fact]
    [Trait("Clause", "IWK-2.1")]
    public async Task Personal_data_stored_in_the_vault_appears_in_no_span_log_or_metric_the_dashboard_receives()
    {
        var marker = $"canary{Guid.NewGuid():N}"[..20];
        using var vault = suite.ProductBackend("vault-beijing");
        var subject = $"s-{Guid.NewGuid():N}";
        using var stored = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/data",
            new { category = "contact", source = "provided", fields = new { email = $"{marker}@example.cn", phone = "+8613800138000", language = "zh-CN" } });
        Assert.True(stored.IsSuccessStatusCode, $"store answered {(int)stored.StatusCode}");
        using var lookup = await vault.PostAsJsonAsync("/v1/lookup", new { field = "email", value = $"{marker}@example.cn" });
        var store = suite.App.DashboardServer.Otlp.Store;

        // The store's and the lookup's spans and logs have arrived: their trace carries the subject id (an id, not data).
        await Eventually.HoldsAsync(() => Task.FromResult(store.Spans(s => s.Attributes.Values.Any(v => v.Contains(subject, StringComparison.Ordinal))).Count > 0
                && store.Spans(s => s.Attributes.TryGetValue("url.path", out var path) && path == "/v1/lookup").Count > 0),
            TimeSpan.FromSeconds(30), "the store and lookup requests' spans in the window");
        await Task.Delay(TimeSpan.FromSeconds(2)); // one more export of logs and metrics

        bool Leaks(string? text) => text is not null && (text.Contains(marker, StringComparison.OrdinalIgnoreCase) || text.Contains("13800138000", StringComparison.Ordinal));
        Assert.DoesNotContain(store.Spans(), s => Leaks(s.Name) || s.Attributes.Values.Any(Leaks) || s.Events.Any(e => e.Attributes.Values.Any(Leaks)));
        Assert.DoesNotContain(store.Logs(), l => Leaks(l.Message) || l.Attributes.Values.Any(Leaks));
        Assert.DoesNotContain(store.Metrics(), m => m.Attributes.Values.Any(Leaks));
    }

    [Theory]
    [InlineData("/api/traces?limit=0")]
    [InlineData("/api/traces?limit=501")]
    [InlineData("/api/traces?minSpans=0")]
    [InlineData("/api/traces/not-a-trace-id")]
    [InlineData("/api/logs?level=Loud")]
    [InlineData("/api/logs?traceId=xyz")]
    [InlineData("/api/logs?limit=100000")]
    [InlineData("/api/metrics?resource=")]
    public async Task Bad_filters_get_problem_details(string path)
    {
        using var dashboard = suite.Dashboard();
        using var response = await dashboard.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_trace_that_is_not_in_the_window_is_not_found()
    {
        using var dashboard = suite.Dashboard();
        using var response = await dashboard.GetAsync($"/api/traces/{new string('0', 31)}1");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("GET", "/api/operations/incidents")]
    [InlineData("GET", "/api/operations/queues")]
    [InlineData("POST", "/api/telemetry/pause")]
    [InlineData("POST", "/api/telemetry/clear")]
    public async Task Operations_and_telemetry_commands_need_the_dashboard_token_even_from_loopback(string method, string path)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(suite.App.Dashboard.Url) };
        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(suite.App.DashboardServer.Otlp.Store.Paused);
    }

    [Fact]
    public async Task Queues_show_each_regions_outbox_backlogs_error_queues_and_consumer_queues()
    {
        using var dashboard = suite.Dashboard();
        List<JsonElement> regions = [];
        await Eventually.HoldsAsync(async () =>
        {
            regions = (await dashboard.GetFromJsonAsync<JsonElement>("/api/operations/queues")).EnumerateArray().ToList();
            return regions.All(r => r.GetProperty("outboxes").GetArrayLength() == 5);
        }, TimeSpan.FromSeconds(30), "a backlog figure from every service's relay in both regions");

        Assert.Equal(["beijing", "guangzhou"], regions.Select(r => r.GetProperty("region").GetString()));
        Assert.All(regions, r =>
        {
            Assert.Equal(JsonValueKind.Null, r.GetProperty("error").ValueKind);
            Assert.Contains(r.GetProperty("queues").EnumerateArray(), q => q.GetProperty("service").GetString() == "vault" && q.GetProperty("consumers").GetInt32() > 0);
            Assert.All(r.GetProperty("errorQueues").EnumerateArray(), q => Assert.EndsWith("_error", q.GetProperty("name").GetString(), StringComparison.Ordinal));
        });
    }
}
