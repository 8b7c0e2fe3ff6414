using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// The vault's detokenise (purpose, consent decision, protection level, hash-chained access-log append, decrypt), run
/// as its own process, against a bare HTTP endpoint that does one PostgreSQL select and one insert per request, on
/// the same PostgreSQL, driven by wrk at the same concurrency in the same run.
/// </summary>
public sealed class VaultReadFigure : PairedFigure
{
    internal const int Subjects = 500;
    internal const int Connections = 16;
    internal static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);
    internal static readonly TimeSpan Warmup = TimeSpan.FromSeconds(5);

    public override string Name => "vault-read";

    public override string Description =>
        $"vault detokenise (consent check + access-log append + decrypt) vs bare PostgreSQL select+insert over HTTP, wrk -c{Connections} for {Duration.TotalSeconds:0} s a side, in alternating rounds.";

    protected override string Goal => ">= 0.5";

    protected override async Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");
        var vaultDb = await infrastructure.CreateDatabaseAsync("bench_vault");
        var baselineDb = await infrastructure.CreateDatabaseAsync("bench_bare");
        var rabbit = await infrastructure.CreateVirtualHostAsync("bench_vault");

        var catalogue = await StartCatalogueAsync(Purpose, ["Identity", "Contact", "Device", "Usage"], cancellationToken);
        var vault = await VaultProcess.StartAsync(context, vaultDb, rabbit, CatalogueAddress(catalogue), cancellationToken);
        var tokens = await SeedVaultAsync(context, vault, vaultDb, cancellationToken);
        var bare = await BareEndpoint.StartAsync(baselineDb, tokens, cancellationToken);

        await ProbeAsync(context, "vault", vault.Address, "/v1/detokenize", tokens, Purpose, Headers(vault.Credentials), cancellationToken);
        await ProbeAsync(context, "bare", bare.Address, "/read", tokens, Purpose, [], cancellationToken);
        var script = Script(tokens, Purpose);
        var headers = Headers(vault.Credentials);
        var bareUrl = new Uri(bare.Address, "/read").ToString();
        var vaultUrl = new Uri(vault.Address, "/v1/detokenize").ToString();

        // Both sides warm up first (JIT tiering, pools), so the measured rounds compare steady states: a service runs for hours.
        await Wrk.RunAsync(bareUrl, Connections, Warmup, luaScript: script, cancellationToken: cancellationToken);
        await Wrk.RunAsync(vaultUrl, Connections, Warmup, luaScript: script, headers: headers, cancellationToken: cancellationToken);
        context.Progress($"warmed up ({Warmup.TotalSeconds:0} s each)");

        return new Pair(
            "vault", ct => MeasureAsync(context, "vault detokenise", vaultUrl, script, headers, vault.ProcessId, vaultDb, ct),
            "bare", ct => MeasureAsync(context, "bare select+insert", bareUrl, script, null, vault.ProcessId, baselineDb, ct),
            catalogue, vault, bare);
    }

    /// <summary>
    /// One measured wrk run, with the CPU it cost per request in the server (the vault's process, or this one for the
    /// bare endpoint) and in PostgreSQL: other engineers' load changes that far less than it changes req/s.
    /// </summary>
    internal static async Task<Side> MeasureAsync(BenchContext context, string what, string url, string script, Dictionary<string, string>? headers,
        int vaultProcessId, string database, CancellationToken ct)
    {
        var bareSide = headers is null;
        var counters = await PostgresCounters.ReadAsync(database, ct);
        var before = ProcessCpu.Read();
        var vaultBefore = ProcessCpu.OfProcess(vaultProcessId);
        var result = await Wrk.RunAsync(url, Connections, Duration, luaScript: script, headers: headers, cancellationToken: ct);
        var used = ProcessCpu.Read() - before;
        var server = bareSide ? used.DotnetMs : ProcessCpu.OfProcess(vaultProcessId) - vaultBefore;
        var after = await PostgresCounters.ReadAsync(database, ct);
        if (result.Non2xx > 0 || result.SocketErrors > 0)
        {
            throw new InvalidOperationException($"{what}: {result.Non2xx} non-2xx answers and {result.SocketErrors} socket errors: the figure would be meaningless.");
        }

        var requests = (double)Math.Max(1, result.Requests);
        var perRequest = new Dictionary<string, double>
        {
            ["server_cpu_us_per_op"] = server * 1000 / requests,
            ["postgres_cpu_us_per_op"] = used.PostgresMs * 1000 / requests,
            ["transactions_per_op"] = (after.Transactions - counters.Transactions) / requests,
            ["wal_flushes_per_op"] = (after.WalFlushes - counters.WalFlushes) / requests,
        };
        var cpu = (server + used.PostgresMs) * 1000 / requests;
        context.Progress($"{what}: {result.RequestsPerSecond:0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.0} ms, " +
            $"CPU {cpu:0} µs per request (server {perRequest["server_cpu_us_per_op"]:0}, PostgreSQL {perRequest["postgres_cpu_us_per_op"]:0}), " +
            $"{perRequest["transactions_per_op"]:0.00} transactions and {perRequest["wal_flushes_per_op"]:0.00} WAL flushes per request");
        return new Side(result.RequestsPerSecond, cpu, result.P99Ms, perRequest);
    }

    private const string Purpose = "service.provide";

    /// <summary>What a product backend sends with every read: its API key, and whatever else (a step-up token).</summary>
    internal static Dictionary<string, string> Headers(DevCredentials credentials, params (string Name, string Value)[] more)
    {
        var headers = new Dictionary<string, string> { [AuthenticationExtensions.ApiKeyHeader] = credentials.ProductBackendApiKey };
        foreach (var (name, value) in more)
        {
            headers[name] = value;
        }

        return headers;
    }

    private static async Task<List<string>> SeedVaultAsync(BenchContext context, VaultProcess vault, string database, CancellationToken ct)
    {
        var tokens = await StoreAsync(vault, "device", ct);
        await SeedConsentAsync(database, Purpose, [], ct);
        context.Progress($"seeded {Subjects} subjects");
        return tokens;
    }

    /// <summary>Stores one value of <paramref name="category"/> per subject (about 200 bytes), answering their tokens in subject order.</summary>
    internal static async Task<List<string>> StoreAsync(VaultProcess vault, string category, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = vault.Address };
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, vault.Credentials.ProductBackendApiKey);
        var tokens = new List<string>();
        for (var i = 0; i < Subjects; i++)
        {
            using var response = await client.PostAsJsonAsync($"/v1/subjects/bench-{i:D5}/data",
                new { category, source = "collected", legalBasis = "consent", fields = new { value = new string('m', 200) + i } }, ct);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            tokens.Add(body.GetProperty("tokens").GetProperty("value").GetString()!);
        }

        return tokens;
    }

    /// <summary>
    /// Consent as the consent service's answers would have left it, so every read is allowed from the local table (kept
    /// answers are used for ConsentDecisionMaxAge, 5 min: longer than a run), with the separate consents named.
    /// </summary>
    internal static async Task SeedConsentAsync(string database, string purpose, string[] sensitiveCategories, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(ct);
        await using var insert = new NpgsqlCommand(
            "insert into consent_decisions (subject_id, purpose, allowed, policy_version, origin, decided_at, sensitive_categories) " +
            "select 'bench-' || lpad(g::text, 5, '0'), @purpose, true, 'v1', 'check', now(), @sensitive from generate_series(0, @n - 1) g", connection);
        insert.Parameters.AddWithValue("n", Subjects);
        insert.Parameters.AddWithValue("purpose", purpose);
        insert.Parameters.AddWithValue("sensitive", sensitiveCategories);
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Sequential latency of one connection, printed as progress: it tells lock waits apart from per-request cost.</summary>
    internal static async Task ProbeAsync(BenchContext context, string what, Uri address, string path, IReadOnlyList<string> tokens, string purpose,
        Dictionary<string, string> headers, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = address };
        foreach (var (name, value) in headers)
        {
            client.DefaultRequestHeaders.Add(name, value);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            using var response = await client.PostAsJsonAsync(path, new { tokens = new[] { tokens[i % tokens.Count] }, purpose }, ct);
            response.EnsureSuccessStatusCode();
        }

        context.Progress($"{what}: {watch.Elapsed.TotalMilliseconds / 200:0.00} ms per request on one connection");
    }

    internal static string Script(IReadOnlyList<string> tokens, string purpose)
    {
        var lua = new StringBuilder("tokens = {");
        lua.AppendJoin(",", tokens.Select(t => $"\"{t}\""));
        lua.AppendLine("}");
        lua.AppendLine("wrk.method = \"POST\"");
        lua.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        lua.AppendLine("request = function()");
        lua.AppendLine("  local t = tokens[math.random(#tokens)]");
        lua.AppendLine($"  return wrk.format(nil, nil, nil, '{{\"tokens\":[\"' .. t .. '\"],\"purpose\":\"{purpose}\"}}')");
        lua.AppendLine("end");
        return lua.ToString();
    }

    /// <summary>
    /// The consent service's purpose catalogue, as much of it as the figure reads: the vault asks for it once and keeps it
    /// in memory (every read checks its purpose's categories there); the consent decisions are seeded in its table.
    /// </summary>
    internal static async Task<WebApplication> StartCatalogueAsync(string purpose, string[] categories, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/v1/purposes", () => Results.Json(new[]
        {
            new { code = purpose, policyId = "infobird", dataCategories = categories },
        }));
        await app.StartAsync(ct);
        return app;
    }

    internal static Uri CatalogueAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The vault service as the AppHost runs it: its own process, configured through Aspire's environment contract.</summary>
    internal sealed class VaultProcess(ChildProcess process, Uri address, DevCredentials credentials, string keyDirectory) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public DevCredentials Credentials { get; } = credentials;

        public int ProcessId => process.Id;

        public static async Task<VaultProcess> StartAsync(BenchContext context, string database, string rabbit, Uri consent, CancellationToken ct)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "PrivacySuite.Vault.dll");
            var credentials = DevCredentials.Generate();
            var port = Ports.GetFree();
            var keys = Path.Combine(Path.GetTempPath(), $"bench-vault-keys-{Guid.NewGuid():N}");
            var environment = new Dictionary<string, string?>
            {
                ["HOME"] = Environment.GetEnvironmentVariable("HOME"),
                ["ConnectionStrings__vaultdb"] = database,
                ["ConnectionStrings__rabbitmq"] = rabbit,
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["PrivacySuite__Region"] = "beijing",
                ["PrivacySuite__Vault__KeyDirectory"] = keys,
                ["services__consent__http__0"] = consent.ToString(),
                ["Logging__LogLevel__Default"] = "Warning",
                // Only for profiling by hand (perf): passed through when set, absent otherwise.
                ["DOTNET_PerfMapEnabled"] = Environment.GetEnvironmentVariable("DOTNET_PerfMapEnabled"),
                ["DOTNET_EnableWriteXorExecute"] = Environment.GetEnvironmentVariable("DOTNET_EnableWriteXorExecute"),
            };
            foreach (var (key, value) in credentials.ToEnvironment())
            {
                environment[key] = value;
            }

            var process = ChildProcess.Start("dotnet", [dll], environment, _ => { }, AppContext.BaseDirectory);
            var address = new Uri($"http://127.0.0.1:{port}");
            using var probe = new HttpClient { BaseAddress = address };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var health = await probe.GetAsync("/health", ct);
                    if (health.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                }

                if (DateTime.UtcNow > deadline || process.HasExited)
                {
                    await process.DisposeAsync();
                    throw new InvalidOperationException("The vault did not become healthy within 60 s.");
                }

                await Task.Delay(200, ct);
            }

            context.Progress($"vault process up on port {port}");
            return new VaultProcess(process, address, credentials, keys);
        }

        public async ValueTask DisposeAsync()
        {
            await process.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(10));
            await process.DisposeAsync();
            Directory.Delete(keyDirectory, recursive: true);
        }
    }

    /// <summary>The baseline: one select by token and one insert of a log row, on a pooled Npgsql data source configured as the services' are.</summary>
    private sealed class BareEndpoint(WebApplication app, NpgsqlDataSource data, Uri address) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public static async Task<BareEndpoint> StartAsync(string database, IReadOnlyList<string> tokens, CancellationToken ct)
        {
            // Pooled connections kept as the services keep theirs (ServiceDefaults: no DISCARD ALL on reuse), so each
            // request costs the select and the insert the figure names, not a session reset besides.
            var data = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database) { NoResetOnClose = true }.ConnectionString);
            await using (var setup = data.CreateCommand(
                "create table kv (token text primary key, value bytea not null); " +
                "create table reads (id bigint generated always as identity primary key, token text not null, at timestamptz not null)"))
            {
                await setup.ExecuteNonQueryAsync(ct);
            }

            foreach (var token in tokens)
            {
                await using var insert = data.CreateCommand("insert into kv (token, value) values ($1, $2)");
                insert.Parameters.AddWithValue(token);
                insert.Parameters.AddWithValue(new byte[228]);
                await insert.ExecuteNonQueryAsync(ct);
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapPost("/read", async (ReadRequest request, CancellationToken token) =>
            {
                await using var connection = await data.OpenConnectionAsync(token);
                await using var select = new NpgsqlCommand("select value from kv where token = $1", connection);
                select.Parameters.AddWithValue(request.Tokens[0]);
                var value = (byte[]?)await select.ExecuteScalarAsync(token);
                await using var insert = new NpgsqlCommand("insert into reads (token, at) values ($1, now())", connection);
                insert.Parameters.AddWithValue(request.Tokens[0]);
                await insert.ExecuteNonQueryAsync(token);
                return Results.Ok(new { length = value?.Length ?? 0 });
            });
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new BareEndpoint(app, data, new Uri(address));
        }

        public async ValueTask DisposeAsync()
        {
            await app.DisposeAsync();
            await data.DisposeAsync();
        }
    }

    private sealed record ReadRequest(string[] Tokens);
}
