using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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

        await Eventually.HoldsAsync(
            () => Task.FromResult(Contains(received, "/v1/traces", UrlPathAttribute("/notes")) && received.ContainsKey("/v1/metrics") && received.ContainsKey("/v1/logs")),
            TimeSpan.FromSeconds(20), $"traces, metrics and logs arrived at the collector (got: {string.Join(", ", received.Select(r => $"{r.Key}={r.Value.Count}"))})");

        Assert.True(Contains(received, "/v1/traces", "notes-under-test"), "the resource names the service");
        Assert.True(Contains(received, "/v1/traces", "beijing"), "the resource names the region");
        // The test's own HttpClient shares the process, so its client spans name /health in url.full; the server spans
        // (url.path) of the probes are the ones that must be missing.
        Assert.False(Contains(received, "/v1/traces", UrlPathAttribute("/health")), "health probe spans are dropped");
    }

    // OTLP/protobuf carries attribute strings as plain UTF-8, so a byte search finds them without a protobuf parser.
    private static bool Contains(ConcurrentDictionary<string, ConcurrentBag<byte[]>> received, string path, string text) =>
        Contains(received, path, Encoding.UTF8.GetBytes(text));

    private static bool Contains(ConcurrentDictionary<string, ConcurrentBag<byte[]>> received, string path, byte[] bytes) =>
        received.TryGetValue(path, out var bodies) && bodies.Any(b => b.AsSpan().IndexOf(bytes) >= 0);

    /// <summary>The protobuf encoding of KeyValue{key: "url.path", value: AnyValue{string_value: path}} (short strings only).</summary>
    private static byte[] UrlPathAttribute(string path)
    {
        var key = Encoding.UTF8.GetBytes("url.path");
        var value = Encoding.UTF8.GetBytes(path);
        return [0x0A, (byte)key.Length, .. key, 0x12, (byte)(value.Length + 2), 0x0A, (byte)value.Length, .. value];
    }
}
