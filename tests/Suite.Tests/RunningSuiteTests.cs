using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.AppHost.Hosting.Model;
using Xunit.Abstractions;

namespace PrivacySuite.Suite.Tests;

/// <summary>The whole topology, booted once for this class through the AppHost's Program.</summary>
public sealed class RunningSuiteTests(SuiteFixture suite, ITestOutputHelper output) : IClassFixture<SuiteFixture>
{
    [Fact]
    public void All_sixteen_resources_become_running_and_healthy()
    {
        output.WriteLine($"All {SuiteFixture.ResourceNames.Length} resources Running and Healthy {suite.TimeToHealthy.TotalSeconds:0.0} s after the AppHost started.");
        Assert.Equal(SuiteFixture.ResourceNames.Order(), suite.App.Resources.Select(r => r.Name).Order());
        Assert.All(suite.App.Resources, r =>
        {
            Assert.Equal(ResourceStates.Running, r.State);
            Assert.Equal(HealthStatus.Healthy, r.Health);
        });
    }

    [Fact]
    public async Task Resources_api_answers_loopback_callers_without_a_token_in_the_documented_shape()
    {
        using var response = await suite.Dashboard.GetAsync("/api/resources");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(SuiteFixture.ResourceNames.Length, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(["endpoints", "health", "name", "region", "restarts", "startedAt", "state", "type"],
                row.EnumerateObject().Select(p => p.Name).Order());
            var name = row.GetProperty("name").GetString()!;
            Assert.Equal(name.EndsWith("-beijing", StringComparison.Ordinal) ? "beijing" : "guangzhou", row.GetProperty("region").GetString());
            Assert.Equal("Running", row.GetProperty("state").GetString());
            Assert.Equal("Healthy", row.GetProperty("health").GetString());
            Assert.NotEmpty(row.GetProperty("endpoints").EnumerateArray());
            Assert.True(row.GetProperty("startedAt").TryGetDateTimeOffset(out _));
            Assert.True(row.GetProperty("restarts").GetInt32() >= 0);
            Assert.Equal(
                name.Split('-')[0] switch { "postgres" => "Postgres", "rabbitmq" => "RabbitMQ", "maildev" => "MailDev", _ => "Project" },
                row.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Service_endpoints_in_the_api_answer_their_health_checks()
    {
        using var response = await suite.Dashboard.GetAsync("/api/resources");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var services = json.RootElement.EnumerateArray().Where(r => r.GetProperty("type").GetString() == "Project").ToList();

        Assert.Equal(10, services.Count);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var service in services)
        {
            var url = service.GetProperty("endpoints")[0].GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/alive")).StatusCode);
        }
    }

    [Fact]
    public async Task Commands_and_console_logs_need_the_dashboard_token()
    {
        using var stop = await suite.Dashboard.PostAsync("/api/resources/consent-beijing/commands/stop", null);
        using var logs = await suite.Dashboard.GetAsync("/api/resources/consent-beijing/logs", HttpCompletionOption.ResponseHeadersRead);
        using var session = await suite.Dashboard.GetAsync("/api/session");
        using var wrongLogin = await suite.Dashboard.GetAsync("/login?t=not-the-token");

        Assert.Equal(HttpStatusCode.Unauthorized, stop.StatusCode);
        Assert.Equal("application/problem+json", stop.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, logs.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, session.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongLogin.StatusCode);
        Assert.Equal(ResourceStates.Running, suite.App["consent-beijing"].State);
    }

    [Fact]
    public async Task The_printed_login_url_sets_a_cookie_that_opens_the_dashboard()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(suite.App.Dashboard.Url) };

        using var login = await browser.GetAsync(new Uri(suite.App.Dashboard.LoginUrl).PathAndQuery);
        using var session = await browser.GetAsync("/api/session");
        using var page = await browser.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<script src=\"/app.js\"></script>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_commands_and_resources_get_problem_details()
    {
        using var client = suite.AuthenticatedDashboard();

        using var unknownCommand = await client.PostAsync("/api/resources/vault-beijing/commands/explode", null);
        using var unknownResource = await client.PostAsync("/api/resources/vault-shanghai/commands/stop", null);
        using var unknownLogs = await client.GetAsync("/api/resources/vault-shanghai/logs");

        Assert.Equal(HttpStatusCode.BadRequest, unknownCommand.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownResource.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownLogs.StatusCode);
        Assert.Equal("application/problem+json", unknownCommand.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ResourceStates.Running, suite.App["vault-beijing"].State);
    }

    [Fact]
    public async Task Console_logs_stream_a_resources_output()
    {
        using var client = suite.AuthenticatedDashboard();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using var response = await client.GetAsync("/api/resources/postgres-beijing/logs", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var data = new List<string>();
        while (data.Count < 2 && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line["data: ".Length..]);
            }
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var first = JsonDocument.Parse(data[0]).RootElement;
        Assert.Equal(1, first.GetProperty("sequence").GetInt64());
        Assert.Equal("[apphost] Starting", first.GetProperty("text").GetString());
    }

    [Fact]
    [Trait("Clause", "INF-1.4")]
    [Trait("Clause", "INF-6.5")]
    public async Task A_withdrawal_sent_to_the_standby_region_is_honoured_by_both_regions_within_one_second()
    {
        var apiKey = PrivacySuite.ServiceDefaults.Auth.DevCredentials.LoadOrCreate(suite.StateDir).ProductBackendApiKey;
        HttpClient Consent(string region)
        {
            var client = new HttpClient { BaseAddress = new Uri(suite.App[$"consent-{region}"].Endpoint("http").Url), Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.Add(PrivacySuite.ServiceDefaults.Auth.AuthenticationExtensions.ApiKeyHeader, apiKey);
            return client;
        }

        using var beijing = Consent("beijing");
        using var guangzhou = Consent("guangzhou");
        var subject = $"regions-{Guid.NewGuid():N}"[..24];

        // Writes sent to the standby are passed to the primary, which says so in a header.
        using (var registered = await guangzhou.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "infobird", ageBand = "18-plus" }))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            Assert.Equal("guangzhou", registered.Headers.GetValues(PrivacySuite.ServiceDefaults.Regions.StandbyForwarding.ForwardedFromHeader).Single());
        }

        using (var granted = await guangzhou.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
                   new { purpose = "offers.relevant", policyVersion = "1.0", collectionMethod = "web-form", jurisdiction = "CN" }))
        {
            Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        }

        // Both regions answer (and cache) "allowed" before the withdrawal.
        Assert.True(await AllowedAsync(beijing, subject));
        Assert.True(await AllowedAsync(guangzhou, subject));

        using (var withdrawn = await guangzhou.DeleteAsync($"/v1/subjects/{subject}/consents/offers.relevant"))
        {
            Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        var honoured = new Dictionary<string, TimeSpan>();
        while (honoured.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            foreach (var (name, client) in new[] { ("beijing", beijing), ("guangzhou", guangzhou) })
            {
                if (!honoured.ContainsKey(name) && !await AllowedAsync(client, subject))
                {
                    honoured[name] = clock.Elapsed;
                }
            }
        }

        output.WriteLine($"withdrawal honoured: beijing after {honoured.GetValueOrDefault("beijing").TotalMilliseconds:0} ms, guangzhou after {honoured.GetValueOrDefault("guangzhou").TotalMilliseconds:0} ms");
        Assert.Equal(2, honoured.Count);
        Assert.All(honoured.Values, t => Assert.True(t < TimeSpan.FromSeconds(1), $"honoured after {t.TotalMilliseconds:0} ms"));

        static async Task<bool> AllowedAsync(HttpClient client, string subject)
        {
            using var check = await client.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=offers.relevant");
            return JsonDocument.Parse(await check.Content.ReadAsStringAsync()).RootElement.GetProperty("allowed").GetBoolean();
        }
    }

    [Fact]
    public async Task A_killed_service_is_restarted_and_the_restart_is_counted()
    {
        var vault = suite.App["vault-guangzhou"];
        var before = vault.Restarts;
        var pid = vault.ProcessId!.Value;

        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: true);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(vault.Restarts == before + 1 && vault.IsReady && vault.ProcessId != pid),
            TimeSpan.FromSeconds(60), "vault-guangzhou restarted and healthy");
        using var response = await suite.Dashboard.GetAsync("/api/resources");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var row = json.RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "vault-guangzhou");
        Assert.Equal(before + 1, row.GetProperty("restarts").GetInt32());
        Assert.Equal("Running", row.GetProperty("state").GetString());
        Assert.Contains(vault.Log.After(0), l => l.Text.Contains("exited with code", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_stop_holds_until_start_and_dependents_wait_for_restarted_infrastructure()
    {
        using var client = suite.AuthenticatedDashboard();
        var retention = suite.App["retention-beijing"];

        using var stop = await client.PostAsync("/api/resources/retention-beijing/commands/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        await Eventually.HoldsAsync(() => Task.FromResult(retention.State == ResourceStates.Exited), TimeSpan.FromSeconds(20), "retention-beijing stopped");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(ResourceStates.Exited, retention.State);
        Assert.Null(retention.ProcessId);

        using var start = await client.PostAsync("/api/resources/retention-beijing/commands/start", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        await Eventually.HoldsAsync(() => Task.FromResult(retention.IsReady), TimeSpan.FromSeconds(60), "retention-beijing healthy again");

        // Restarting a database: its services report Unhealthy meanwhile and recover without restarting.
        using var restart = await client.PostAsync("/api/resources/postgres-guangzhou/commands/restart", null);
        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        await Eventually.HoldsAsync(() => Task.FromResult(suite.App["postgres-guangzhou"].State != ResourceStates.Running), TimeSpan.FromSeconds(10), "postgres-guangzhou stopping");
        await suite.AllHealthyAsync();
    }

    [Fact]
    public async Task Services_get_aspires_environment_and_send_telemetry_with_it()
    {
        var consent = (ProjectResource)suite.App["consent-guangzhou"];
        var postgres = (PostgresResource)suite.App["postgres-guangzhou"];
        var rabbitmq = (RabbitMqResource)suite.App["rabbitmq-guangzhou"];
        var environment = consent.BuildEnvironment();

        Assert.Equal("guangzhou", environment["PrivacySuite__Region"]);
        Assert.Equal(postgres.Server.ConnectionString("consentdb"), environment["ConnectionStrings__consentdb"]);
        Assert.Equal(rabbitmq.ConnectionString, environment["ConnectionStrings__rabbitmq"]);
        Assert.Equal(consent.Endpoint("http").Url, environment["ASPNETCORE_URLS"]);
        Assert.Equal(suite.App.Dashboard.Url, environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("consent-guangzhou", environment["OTEL_SERVICE_NAME"]);
        Assert.Contains("deployment.region=guangzhou", environment["OTEL_RESOURCE_ATTRIBUTES"], StringComparison.Ordinal);
        Assert.Contains("PrivacySuite__Auth__SigningKey", environment.Keys);
        Assert.Equal(suite.App["vault-guangzhou"].Endpoint("http").Url, ((ProjectResource)suite.App["retention-guangzhou"]).BuildEnvironment()["services__vault__http__0"]);
        Assert.All(environment.Keys, key => Assert.Matches(
            "^(ConnectionStrings__|services__|OTEL_|ASPNETCORE_|DOTNET_ENVIRONMENT$|PrivacySuite__|HOME$)", key));

        // The exporters found the endpoint, protocol and API key: the AppHost receives their batches.
        await Eventually.HoldsAsync(() => Task.FromResult(suite.App.DashboardServer.Otlp.Accepted("metrics") > 0 && suite.App.DashboardServer.Otlp.Accepted("logs") > 0),
            TimeSpan.FromSeconds(30), "OTLP metrics and logs accepted");
        await Eventually.HoldsAsync(
            () => Task.FromResult(suite.App.DashboardServer.Otlp.Store.Metrics(m => m.Resource.Name == "consent-guangzhou").Count > 0),
            TimeSpan.FromSeconds(30), "consent-guangzhou's metrics decoded into the telemetry window; resources seen: " +
            string.Join(", ", suite.App.DashboardServer.Otlp.Store.Metrics().Select(m => m.Resource).Distinct().Take(5)));
        Assert.Contains(suite.App.DashboardServer.Otlp.Store.Metrics(), m => m.Resource is { Name: "consent-guangzhou", Region: "guangzhou" } &&
            m.Resource.InstanceId!.StartsWith("consent-guangzhou-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Otlp_without_the_api_key_is_refused()
    {
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new("application/x-protobuf");
        using var response = await suite.Dashboard.PostAsync("/v1/traces", content);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
