using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// The consent check of the real consent service (its own process, on durable PostgreSQL and RabbitMQ, 100k subjects,
/// half allowed and half denied) against a bare Kestrel endpoint answering the same JSON, both driven by wrk.
/// </summary>
public sealed class ConsentCheckFigure : PairedFigure
{
    private const int Subjects = 100_000;
    private const int Connections = 64;
    private const string Purpose = "personalisation";
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    public override string Name => "consent-check";

    public override string Description =>
        $"GET /v1/consents/check on the real consent service ({Subjects:N0} subjects, mixed allowed/denied, wrk -c{Connections} for {Duration.TotalSeconds:0} s a side) vs a bare Kestrel endpoint, in alternating rounds.";

    // A random subject per request, so answers mix allowed and denied and the whole population is touched.
    private static readonly string Script = $$"""
        math.randomseed(os.time())
        request = function()
          local i = math.random(0, {{Subjects - 1}})
          return wrk.format("GET", "/v1/consents/check?subjectId=bench-" .. i .. "&purpose={{Purpose}}")
        end
        """;

    protected override string Goal => ">= 0.7, p99 <= 2x bare's";

    protected override async Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        var database = await infrastructure.CreateDatabaseAsync("bench_consent");
        var rabbit = await infrastructure.CreateVirtualHostAsync("bench_consent");
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");

        var credentials = DevCredentials.Generate();
        var headers = new Dictionary<string, string> { [AuthenticationExtensions.ApiKeyHeader] = credentials.ProductBackendApiKey };
        // The first start creates the schema; the second finds 100k subjects, as a replica of a running suite would.
        await using (await StartServiceAsync(context, database, rabbit, credentials, cancellationToken))
        {
            await SeedAsync(database, cancellationToken);
        }

        var service = await StartServiceAsync(context, database, rabbit, credentials, cancellationToken);
        // Measured once the replica is ready, as a load balancer would send it traffic: its cache preloaded.
        context.Progress($"service: {await service.Preloaded.WaitAsync(TimeSpan.FromSeconds(120), cancellationToken)}");
        await SanityCheckAsync(service.Url, credentials, cancellationToken);
        context.Progress($"{Subjects:N0} subjects seeded; answers checked");
        var bare = await BareKestrel.StartAsync(cancellationToken);

        // Both sides warm up first (JIT tiering, pools), so the rounds compare steady states: a service runs for hours.
        await Wrk.RunAsync(bare.Url, Connections, Warmup, luaScript: Script, headers: headers, cancellationToken: cancellationToken);
        await Wrk.RunAsync(service.Url, Connections, Warmup, luaScript: Script, headers: headers, cancellationToken: cancellationToken);
        foreach (var line in service.Notable())
        {
            context.Progress($"service: {line}");
        }

        var measureConsent = (CancellationToken ct) => MeasureAsync(context, "consent check", service.Url, headers, () => ProcessCpu.OfProcess(service.ProcessId), ct);
        var measureBare = (CancellationToken ct) => MeasureAsync(context, "bare Kestrel", bare.Url, headers, () => ProcessCpu.Read().DotnetMs, ct);
        return new Pair("consent", measureConsent, "bare", measureBare, service, bare)
        {
            Notes = await TailAtEqualCpuAsync(context, bare, measureConsent, measureBare, cancellationToken),
        };
    }

    /// <summary>
    /// Where the check's tail comes from (issue 22.4): on 2 cores shared with wrk, a server's p99 grows with the CPU it
    /// spends per request. Measured once before the rounds: the bare endpoint made to burn, per request, the CPU the
    /// check costs more than it (a spin, no allocation), so the two differ only in what the check's process does besides.
    /// </summary>
    private static async Task<Dictionary<string, string>> TailAtEqualCpuAsync(BenchContext context, BareKestrel bare,
        Func<CancellationToken, Task<Side>> measureConsent, Func<CancellationToken, Task<Side>> measureBare, CancellationToken cancellationToken)
    {
        var consent = await measureConsent(cancellationToken);
        var plain = await measureBare(cancellationToken);
        var burn = TimeSpan.FromMicroseconds(Math.Max(0, consent.CpuMicrosPerOperation - plain.CpuMicrosPerOperation));
        bare.Burn = burn;
        var burned = await measureBare(cancellationToken);
        bare.Burn = TimeSpan.Zero;
        context.Progress($"bare Kestrel burning {burn.TotalMicroseconds:0.0} µs more per request: p99 {burned.P99Ms:0.00} ms against the check's {consent.P99Ms:0.00} ms");
        return new Dictionary<string, string>
        {
            ["tail_at_equal_cpu"] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"consent p99 {consent.P99Ms:0.00} ms at {consent.CpuMicrosPerOperation:0.0} µs CPU a request; bare p99 {plain.P99Ms:0.00} ms at {plain.CpuMicrosPerOperation:0.0} µs, " +
                $"and {burned.P99Ms:0.00} ms at {burned.CpuMicrosPerOperation:0.0} µs when it burns the difference (p50 {burned.Also!["p50_ms"]:0.00} ms against the check's {consent.Also!["p50_ms"]:0.00})"),
        };
    }

    /// <summary>One wrk run, with the server's CPU per answered request (the consent service's process, or this one for the bare endpoint).</summary>
    private static async Task<Side> MeasureAsync(
        BenchContext context, string what, string url, IReadOnlyDictionary<string, string> headers, Func<double> serverCpuMs, CancellationToken cancellationToken)
    {
        var cpuBefore = serverCpuMs();
        var result = await Wrk.RunAsync(url, Connections, Duration, luaScript: Script, headers: headers, cancellationToken: cancellationToken);
        var cpuMicrosPerRequest = (serverCpuMs() - cpuBefore) * 1000 / Math.Max(1, result.Requests);
        if (result.Non2xx > 0 || result.SocketErrors > 0)
        {
            throw new InvalidOperationException($"{what}: {result.Non2xx} non-2xx answers and {result.SocketErrors} socket errors; the figure would be meaningless.");
        }

        context.Progress($"{what}: {result.RequestsPerSecond:0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms, server CPU {cpuMicrosPerRequest:0.0} µs/request");
        return new Side(result.RequestsPerSecond, cpuMicrosPerRequest, result.P99Ms, new Dictionary<string, double> { ["p50_ms"] = result.P50Ms });
    }

    private static async Task<RunningService> StartServiceAsync(
        BenchContext context, string database, string rabbit, DevCredentials credentials, CancellationToken cancellationToken)
    {
        var dll = Path.GetFullPath("services/Consent/bin/Release/net10.0/PrivacySuite.Consent.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build the solution in Release first.");
        }

        var port = Ports.GetFree();
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = Environment.GetEnvironmentVariable("HOME"),
            ["DOTNET_ROOT"] = Environment.GetEnvironmentVariable("DOTNET_ROOT"),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__consentdb"] = database,
            ["ConnectionStrings__rabbitmq"] = rabbit,
            ["PrivacySuite__Region"] = "beijing",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__PrivacySuite.Consent"] = "Information",
        };
        // Runtime settings given to the bench reach the service too: DOTNET_PerfMapEnabled=1 to profile it with perf, GC experiments.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal)))
        {
            environment[key] = Environment.GetEnvironmentVariable(key);
        }

        foreach (var (key, value) in credentials.ToEnvironment())
        {
            environment[key] = value;
        }

        var output = new List<string>();
        var preloaded = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start("dotnet", [dll], environment, line =>
            {
                lock (output)
                {
                    if (output.Count > 0 && output[^1].Contains("DecisionInvalidationEndpoint", StringComparison.Ordinal)
                        && line.Contains("Decision cache preload", StringComparison.Ordinal))
                    {
                        preloaded.TrySetResult(line.Trim());
                    }

                    output.Add(line);
                }
            },
            workingDirectory: Path.GetDirectoryName(dll));
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await process.DisposeAsync();
                lock (output)
                {
                    throw new InvalidOperationException($"The consent service did not become healthy:\n{string.Join('\n', output.TakeLast(30))}");
                }
            }

            try
            {
                using var health = await http.GetAsync($"{url}/health", cancellationToken);
                if (health.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, cancellationToken);
        }

        context.Progress($"consent service up on port {port} (pid {process.Id})");
        return new RunningService(process, url, preloaded.Task, output);
    }

    /// <summary>Subjects and consents written straight to the service's tables: a bench fixture, not the API's way.</summary>
    private static async Task SeedAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            insert into subjects (subject_id, policy_id, birth_date, status, registered_at)
            select 'bench-' || i, 'infobird', date '1990-01-01', 'active', now() from generate_series(0, {Subjects - 1}) i;
            -- i % 4: 0 and 3 granted, 1 withdrawn, 2 never asked: half the answers allowed, half denied.
            insert into consents (subject_id, purpose, state, basis, policy_version, policy_sequence, collection_method, jurisdiction, changed_at)
            select 'bench-' || i, '{Purpose}', case when i % 4 = 1 then 'withdrawn' else 'granted' end, 'Consent', '1.0',
                   (select sequence from policy_versions where policy_id = 'infobird' and version = '1.0'), 'bench', 'CN', now()
            from generate_series(0, {Subjects - 1}) i where i % 4 <> 2;
            analyze subjects; analyze consents;
            """, connection);
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task SanityCheckAsync(string url, DevCredentials credentials, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, credentials.ProductBackendApiKey);
        foreach (var (i, allowed) in new[] { (0, true), (1, false), (2, false), (3, true) })
        {
            var answer = await http.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId=bench-{i}&purpose={Purpose}", cancellationToken);
            if (answer.GetProperty("allowed").GetBoolean() != allowed)
            {
                throw new InvalidOperationException($"Subject bench-{i} should be {(allowed ? "allowed" : "denied")}: {answer}");
            }
        }
    }

    private sealed class RunningService(ChildProcess process, string url, Task<string> preloaded, List<string> output) : IAsyncDisposable
    {
        /// <summary>Warnings and cache state changes the service logged, for the progress output.</summary>
        public IReadOnlyList<string> Notable()
        {
            lock (output)
            {
                return output.Where(l => l.Contains("Decision cache", StringComparison.Ordinal) || l.StartsWith("warn", StringComparison.Ordinal)
                    || l.StartsWith("fail", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            }
        }

        public string Url => url;

        public int ProcessId => process.Id;

        /// <summary>The service's log line saying its decision cache was filled (or why not).</summary>
        public Task<string> Preloaded => preloaded;

        public async ValueTask DisposeAsync()
        {
            await process.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(15));
            await process.DisposeAsync();
        }
    }

    /// <summary>The baseline: Kestrel with routing and one endpoint that writes the same shape of answer, nothing else.</summary>
    private sealed class BareKestrel(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url => url;

        /// <summary>CPU each answer spends spinning before it is written (zero in the rounds).</summary>
        public TimeSpan Burn { get; set; }

        public static async Task<BareKestrel> StartAsync(CancellationToken cancellationToken)
        {
            var port = Ports.GetFree();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var answer = new { allowed = true, basis = "Consent", policyVersion = "1.0", reason = "consent-granted" };
            BareKestrel? bare = null;
            app.MapGet("/v1/consents/check", (string subjectId, string purpose) =>
            {
                var burn = bare!.Burn;
                if (burn > TimeSpan.Zero)
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < burn)
                    {
                    }
                }

                return TypedResults.Ok(answer);
            });
            await app.StartAsync(cancellationToken);
            return bare = new BareKestrel(app, $"http://127.0.0.1:{port}");
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
