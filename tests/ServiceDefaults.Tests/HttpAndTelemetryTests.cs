using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Tests.NotesApp;

namespace PrivacySuite.ServiceDefaults.Tests;

public sealed class HttpAndTelemetryTests
{
    [Fact]
    public async Task Outgoing_call_finds_its_service_by_name_and_retries_transient_failures()
    {
        var attempts = 0;
        await using var flaky = await LocalHttpServer.StartAsync(async ctx =>
        {
            // Two transient failures, then an answer: the standard pipeline retries through them.
            ctx.Response.StatusCode = Interlocked.Increment(ref attempts) <= 2 ? 503 : 200;
            await ctx.Response.WriteAsync("ok");
        });
        var infrastructure = await SuiteInfrastructure.GetAsync();
        await using var host = await NotesHost.StartAsync(
            await infrastructure.CreateDatabaseAsync("discovery"), await infrastructure.CreateVirtualHostAsync("discovery"),
            settings => settings["services:flaky:http:0"] = flaky.Address.ToString());

        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        using var response = await client.GetAsync("http://flaky/anything");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task The_primary_region_client_finds_the_peer_by_name_and_never_sends_a_write_twice()
    {
        var attempts = 0;
        await using var peer = await LocalHttpServer.StartAsync(ctx =>
        {
            Interlocked.Increment(ref attempts);
            ctx.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        var infrastructure = await SuiteInfrastructure.GetAsync();
        await using var host = await NotesHost.StartAsync(
            await infrastructure.CreateDatabaseAsync("peer"), await infrastructure.CreateVirtualHostAsync("peer"),
            settings => settings["services:peer:http:0"] = peer.Address.ToString());

        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(StandbyForwarding.PrimaryClientName);
        using var response = await client.PostAsJsonAsync("/notes", new { text = "forwarded" });

        // A 503 the standard handler would retry three times: a forwarded write is sent once, and its answer passed back.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Without_an_otlp_endpoint_nothing_listens_to_traces_or_metrics()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        await using var host = await NotesHost.StartAsync(
            await infrastructure.CreateDatabaseAsync("nootlp"), await infrastructure.CreateVirtualHostAsync("nootlp"));

        // The consent check's hot path pays for no span, metric point or log record that nobody receives.
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task Telemetry_is_exported_over_otlp_without_health_probe_spans()
    {
        var received = new ConcurrentDictionary<string, ConcurrentBag<byte[]>>();
        await using var collector = await LocalHttpServer.StartAsync(async ctx =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            received.GetOrAdd(ctx.Request.Path, _ => []).Add(body.ToArray());
            ctx.Response.StatusCode = 200;
        });
        var infrastructure = await SuiteInfrastructure.GetAsync();
        await using var host = await NotesHost.StartAsync(
            await infrastructure.CreateDatabaseAsync("otlp"), await infrastructure.CreateVirtualHostAsync("otlp"),
            settings =>
            {
                settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/');
                settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                settings["OTEL_SERVICE_NAME"] = "notes-under-test";
                settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
                settings["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
                settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
                settings["PrivacySuite:Region"] = "beijing";
                settings["Logging:LogLevel:Default"] = "Information";
            });

        for (var i = 0; i < 5; i++)
        {
            await host.Client.GetAsync("/health");
        }

        using var created = await host.Client.PostAsJsonAsync("/notes", new { text = "traced" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var note = await created.Content.ReadFromJsonAsync<Note>();
        using var read = await host.Client.GetAsync($"/notes/{note!.Id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        await Eventually.HoldsAsync(
            () => Task.FromResult(Contains(received, "/v1/traces", UrlPathAttribute("/notes")) &&
                                  Contains(received, "/v1/traces", UrlPathAttribute($"/notes/{note.Id}")) &&
                                  received.ContainsKey("/v1/metrics") && received.ContainsKey("/v1/logs")),
            TimeSpan.FromSeconds(20), $"traces, metrics and logs arrived at the collector (got: {string.Join(", ", received.Select(r => $"{r.Key}={r.Value.Count}"))})");

        Assert.True(Contains(received, "/v1/traces", "notes-under-test"), "the resource names the service");
        Assert.True(Contains(received, "/v1/traces", "beijing"), "the resource names the region");
        // The test's own HttpClient shares the process, so its client spans name /health in url.full; the server spans
        // (url.path) of the probes are the ones that must be missing.
        Assert.False(Contains(received, "/v1/traces", UrlPathAttribute("/health")), "health probe spans are dropped");

        // Server spans name the route template, so a dashboard groups requests by endpoint, not by id.
        Assert.True(Contains(received, "/v1/traces", StringAttribute("http.route", "/notes")), "the POST's span carries http.route");
        Assert.True(Contains(received, "/v1/traces", StringAttribute("http.route", "/notes/{id:guid}")), "the GET's span carries its route template");
    }

    // OTLP/protobuf carries attribute strings as plain UTF-8, so a byte search finds them without a protobuf parser.
    private static bool Contains(ConcurrentDictionary<string, ConcurrentBag<byte[]>> received, string path, string text) =>
        Contains(received, path, Encoding.UTF8.GetBytes(text));

    private static bool Contains(ConcurrentDictionary<string, ConcurrentBag<byte[]>> received, string path, byte[] bytes) =>
        received.TryGetValue(path, out var bodies) && bodies.Any(b => b.AsSpan().IndexOf(bytes) >= 0);

    private static byte[] UrlPathAttribute(string path) => StringAttribute("url.path", path);

    /// <summary>The protobuf encoding of KeyValue{key, value: AnyValue{string_value}} (short strings only).</summary>
    private static byte[] StringAttribute(string name, string text)
    {
        var key = Encoding.UTF8.GetBytes(name);
        var value = Encoding.UTF8.GetBytes(text);
        return [0x0A, (byte)key.Length, .. key, 0x12, (byte)(value.Length + 2), 0x0A, (byte)value.Length, .. value];
    }
}
