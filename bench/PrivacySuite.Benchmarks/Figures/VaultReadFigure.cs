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
public sealed class VaultReadFigure : IFigure
{
    private const int Subjects = 500;
    private const int Connections = 16;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    public string Name => "vault-read";

    public string Description =>
        $"vault detokenise (consent check + access-log append + decrypt) vs bare PostgreSQL select+insert over HTTP, wrk -c{Connections} for {Duration.TotalSeconds:0} s each.";

    public async Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");
        var vaultDb = await infrastructure.CreateDatabaseAsync("bench_vault");
        var baselineDb = await infrastructure.CreateDatabaseAsync("bench_bare");
        var rabbit = await infrastructure.CreateVirtualHostAsync("bench_vault");

        await using var vault = await VaultProcess.StartAsync(context, vaultDb, rabbit, cancellationToken);
        var tokens = await SeedVaultAsync(context, vault, vaultDb, cancellationToken);
        await using var bare = await BareEndpoint.StartAsync(baselineDb, tokens, cancellationToken);

        await ProbeAsync(context, "vault", vault.Address, "/v1/detokenize", tokens, vault.Credentials.ProductBackendApiKey, ct: cancellationToken);
        await ProbeAsync(context, "bare", bare.Address, "/read", tokens, null, cancellationToken);
        var script = Script(tokens);
        var headers = new Dictionary<string, string> { [AuthenticationExtensions.ApiKeyHeader] = vault.Credentials.ProductBackendApiKey };
        var bare1 = await Wrk.RunAsync(new Uri(bare.Address, "/read").ToString(), Connections, Duration, luaScript: script, cancellationToken: cancellationToken);
        context.Progress($"bare select+insert: {bare1.RequestsPerSecond:0} req/s, p99 {bare1.P99Ms:0.0} ms");
        var read = await Wrk.RunAsync(new Uri(vault.Address, "/v1/detokenize").ToString(), Connections, Duration, luaScript: script, headers: headers, cancellationToken: cancellationToken);
        context.Progress($"vault detokenise: {read.RequestsPerSecond:0} req/s, p99 {read.P99Ms:0.0} ms, non-2xx {read.Non2xx}");
        var bare2 = await Wrk.RunAsync(new Uri(bare.Address, "/read").ToString(), Connections, Duration, luaScript: script, cancellationToken: cancellationToken);
        context.Progress($"bare select+insert: {bare2.RequestsPerSecond:0} req/s, p99 {bare2.P99Ms:0.0} ms");
        if (read.Non2xx > 0 || read.SocketErrors > 0)
        {
            throw new InvalidOperationException($"The vault answered {read.Non2xx} non-2xx responses and {read.SocketErrors} socket errors: the figure would be meaningless.");
        }

        var baseline = (bare1.RequestsPerSecond + bare2.RequestsPerSecond) / 2;
        return
        [
            new FigureResult($"vault-read ratio={Measure.Ratio(read.RequestsPerSecond / baseline)} p99_ms={Measure.Number(read.P99Ms, "0.0")}", new Dictionary<string, string>
            {
                ["vault_req_s"] = Measure.Number(read.RequestsPerSecond),
                ["bare_req_s"] = $"{Measure.Number(bare1.RequestsPerSecond)} and {Measure.Number(bare2.RequestsPerSecond)}",
                ["bare_p99_ms"] = $"{Measure.Number(bare1.P99Ms, "0.0")} and {Measure.Number(bare2.P99Ms, "0.0")}",
                ["connections"] = Measure.Number(Connections),
                ["subjects"] = Measure.Number(Subjects),
                ["goal"] = ">= 0.5",
            }),
        ];
    }

    /// <summary>Stores one device value per subject (a level the read needs no approval for) and records their consent.</summary>
    private static async Task<List<string>> SeedVaultAsync(BenchContext context, VaultProcess vault, string database, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = vault.Address };
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, vault.Credentials.ProductBackendApiKey);
        var tokens = new List<string>();
        for (var i = 0; i < Subjects; i++)
        {
            using var response = await client.PostAsJsonAsync($"/v1/subjects/bench-{i:D5}/data",
                new { category = "device", source = "collected", fields = new { model = new string('m', 200) + i } }, ct);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            tokens.Add(body.GetProperty("tokens").GetProperty("model").GetString()!);
        }

        // Consent as the consent service's events would have left it, so every read is allowed from the local table.
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(ct);
        await using var insert = new NpgsqlCommand(
            "insert into consent_decisions (subject_id, purpose, allowed, policy_version, origin, decided_at) " +
            "select 'bench-' || lpad(g::text, 5, '0'), 'service.provide', true, 'v1', 'event', now() from generate_series(0, @n - 1) g", connection);
        insert.Parameters.AddWithValue("n", Subjects);
        await insert.ExecuteNonQueryAsync(ct);
        context.Progress($"seeded {Subjects} subjects");
        return tokens;
    }

    /// <summary>Sequential latency of one connection, printed as progress: it tells lock waits apart from per-request cost.</summary>
    private static async Task ProbeAsync(BenchContext context, string what, Uri address, string path, IReadOnlyList<string> tokens, string? apiKey, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = address };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, apiKey);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            using var response = await client.PostAsJsonAsync(path, new { tokens = new[] { tokens[i % tokens.Count] }, purpose = "service.provide" }, ct);
            response.EnsureSuccessStatusCode();
        }

        context.Progress($"{what}: {watch.Elapsed.TotalMilliseconds / 200:0.00} ms per request on one connection");
    }

    private static string Script(IReadOnlyList<string> tokens)
    {
        var lua = new StringBuilder("tokens = {");
        lua.AppendJoin(",", tokens.Select(t => $"\"{t}\""));
        lua.AppendLine("}");
        lua.AppendLine("wrk.method = \"POST\"");
        lua.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        lua.AppendLine("request = function()");
        lua.AppendLine("  local t = tokens[math.random(#tokens)]");
        lua.AppendLine("  return wrk.format(nil, nil, nil, '{\"tokens\":[\"' .. t .. '\"],\"purpose\":\"service.provide\"}')");
        lua.AppendLine("end");
        return lua.ToString();
    }

    /// <summary>The vault service as the AppHost runs it: its own process, configured through Aspire's environment contract.</summary>
    private sealed class VaultProcess(ChildProcess process, Uri address, DevCredentials credentials, string keyDirectory) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public DevCredentials Credentials { get; } = credentials;

        public static async Task<VaultProcess> StartAsync(BenchContext context, string database, string rabbit, CancellationToken ct)
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
                ["Logging__LogLevel__Default"] = "Warning",
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

    /// <summary>The baseline: one select by token and one insert of a log row, on a pooled Npgsql data source.</summary>
    private sealed class BareEndpoint(WebApplication app, NpgsqlDataSource data, Uri address) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public static async Task<BareEndpoint> StartAsync(string database, IReadOnlyList<string> tokens, CancellationToken ct)
        {
            var data = NpgsqlDataSource.Create(database);
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
