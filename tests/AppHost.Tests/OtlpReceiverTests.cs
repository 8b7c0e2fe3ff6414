using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PrivacySuite.AppHost.Hosting.Dashboard;
using PrivacySuite.AppHost.Hosting.Model;
using PrivacySuite.AppHost.Hosting.Telemetry;

namespace PrivacySuite.AppHost.Tests;

/// <summary>The dashboard's OTLP receiver decodes what the real OpenTelemetry .NET exporters send, over real HTTP.</summary>
public sealed class OtlpReceiverTests : IAsyncLifetime
{
    private readonly OtlpReceiver _receiver = new();
    private readonly DashboardSettings _settings = new(IPAddress.Loopback, 0);
    private WebApplication _app = null!;
    private Uri _endpoint = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(_receiver);
        builder.Services.AddSingleton(_settings);
        _app = builder.Build();
        _app.MapOtlpReceiver();
        await _app.StartAsync();
        _endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void Spans_arrive_with_ids_parentage_attributes_events_status_and_resource()
    {
        using var source = new ActivitySource($"otlp-test-{Guid.NewGuid():N}");
        using (var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(source.Name)
            .ConfigureResource(r => r.AddService("consent-beijing", serviceInstanceId: "consent-beijing-1a2b")
                .AddAttributes([new("deployment.region", "beijing")]))
            .AddOtlpExporter(o => Configure(o, "/v1/traces"))
            .Build())
        {
            using (var parent = source.StartActivity("POST /v1/consents", ActivityKind.Server))
            {
                parent!.SetTag("http.response.status_code", 201);
                parent.SetTag("url.path", "/v1/consents");
                using var child = source.StartActivity("outbox publish", ActivityKind.Producer);
                child!.AddEvent(new ActivityEvent("confirmed"));
                child.SetStatus(ActivityStatusCode.Error, "broker down");
            }

            tracer.ForceFlush();
        }

        var spans = _receiver.Store.Spans();
        var server = Assert.Single(spans, s => s.Name == "POST /v1/consents");
        var producer = Assert.Single(spans, s => s.Name == "outbox publish");
        Assert.Equal("Server", server.Kind);
        Assert.Equal("Producer", producer.Kind);
        Assert.Equal(32, server.TraceId.Length);
        Assert.Equal(server.TraceId, producer.TraceId);
        Assert.Equal(server.SpanId, producer.ParentSpanId);
        Assert.Null(server.ParentSpanId);
        Assert.Equal("201", server.Attributes["http.response.status_code"]);
        Assert.Equal("/v1/consents", server.Attributes["url.path"]);
        Assert.Equal("Error", producer.Status);
        Assert.Equal("broker down", producer.StatusMessage);
        Assert.Equal("confirmed", Assert.Single(producer.Events).Name);
        Assert.Equal(new TelemetryResource("consent-beijing", "consent-beijing-1a2b", "beijing"), server.Resource);
        Assert.Equal("consent-beijing", server.Resource.Name);
        Assert.True(server.End >= server.Start && server.Start > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public void Logs_arrive_with_severity_message_category_and_trace_context()
    {
        using var source = new ActivitySource($"otlp-log-test-{Guid.NewGuid():N}");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        string traceId;
        using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("vault-guangzhou", serviceInstanceId: "vault-guangzhou-3c4d"));
            o.AddOtlpExporter(e => Configure(e, "/v1/logs"));
        })))
        {
            var logger = factory.CreateLogger("PrivacySuite.Vault.Keys");
            using (var activity = source.StartActivity("rotate"))
            {
                traceId = activity!.TraceId.ToHexString();
                logger.LogWarning("Key {KeyVersion} rotated", 7);
            }
        }

        var log = Assert.Single(_receiver.Store.Logs(l => l.Category == "PrivacySuite.Vault.Keys"));
        Assert.Equal("Key 7 rotated", log.Message);
        Assert.Equal(13, log.SeverityNumber);
        Assert.Equal("7", log.Attributes["KeyVersion"]);
        Assert.Equal(traceId, log.TraceId);
        Assert.Equal("vault-guangzhou", log.Resource.Name);
    }

    [Fact]
    public void Metrics_arrive_as_counters_gauges_and_histograms()
    {
        using var meter = new Meter($"otlp-metric-test-{Guid.NewGuid():N}");
        var counter = meter.CreateCounter<long>("privacysuite.outbox.published");
        var histogram = meter.CreateHistogram<double>("privacysuite.outbox.relay_lag", unit: "s");
        meter.CreateObservableGauge("privacysuite.outbox.backlog", () => 42L);
        using (var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meter.Name)
            .ConfigureResource(r => r.AddService("notifications-beijing", serviceInstanceId: "notifications-beijing-5e6f"))
            .AddOtlpExporter(o => Configure(o, "/v1/metrics"))
            .Build())
        {
            counter.Add(3, new KeyValuePair<string, object?>("db", "NotificationsDbContext"));
            histogram.Record(0.5);
            histogram.Record(1.5);
            provider.ForceFlush();
        }

        // Cumulative points: the provider exports on flush and again on dispose; the latest point is the state.
        var metrics = _receiver.Store.Metrics();
        var published = metrics.Last(m => m.Name == "privacysuite.outbox.published");
        Assert.Equal(("sum", 3d, "NotificationsDbContext"), (published.Type, published.Value, published.Attributes["db"]));
        Assert.Equal(42d, metrics.Last(m => m.Name == "privacysuite.outbox.backlog").Value);
        var lag = metrics.Last(m => m.Name == "privacysuite.outbox.relay_lag");
        Assert.Equal(("histogram", 2UL, 2d, "s"), (lag.Type, lag.Count!.Value, lag.Value, lag.Unit));
        Assert.Equal("notifications-beijing", lag.Resource.Name);
    }

    [Fact]
    public void An_up_down_counter_arrives_as_a_sum_that_is_not_monotonic()
    {
        using var meter = new Meter($"otlp-updown-test-{Guid.NewGuid():N}");
        var connections = meter.CreateUpDownCounter<long>("db.client.connection.count");
        var published = meter.CreateCounter<long>("privacysuite.outbox.published");
        using (var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meter.Name)
            .ConfigureResource(r => r.AddService("consent-beijing", serviceInstanceId: "consent-beijing-7a8b"))
            .AddOtlpExporter(o => Configure(o, "/v1/metrics"))
            .Build())
        {
            connections.Add(5);
            connections.Add(-2);
            published.Add(1);
            provider.ForceFlush();
        }

        var metrics = _receiver.Store.Metrics(m => m.Resource.Name == "consent-beijing");
        var count = metrics.Last(m => m.Name == "db.client.connection.count");
        Assert.Equal(("sum", false, 3d), (count.Type, count.Monotonic, count.Value));
        Assert.True(metrics.Last(m => m.Name == "privacysuite.outbox.published").Monotonic);
    }

    [Fact]
    public async Task Garbage_wrong_media_types_and_missing_keys_are_refused_with_problem_details()
    {
        using var anonymous = new HttpClient { BaseAddress = _endpoint };
        using var client = new HttpClient { BaseAddress = _endpoint };
        client.DefaultRequestHeaders.Add(DashboardSettings.OtlpApiKeyHeader, _settings.OtlpApiKey);
        using var keyless = await anonymous.PostAsync("/v1/traces", new ByteArrayContent([]) { Headers = { ContentType = new("application/x-protobuf") } });

        using var garbage = await client.PostAsync("/v1/traces", new ByteArrayContent([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2])
        {
            Headers = { ContentType = new("application/x-protobuf") },
        });
        using var json = await client.PostAsync("/v1/traces", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, keyless.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Empty(_receiver.Store.Spans());
    }

    [Fact]
    public void Store_keeps_a_bounded_window_and_honours_pause_and_clear()
    {
        var store = new TelemetryStore(maxSpans: 3);
        var resource = new TelemetryResource("s", null, null);
        SpanRecord Span(string name) => new("t", name, null, name, "Internal", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            "Unset", null, "", resource, new Dictionary<string, string>(), []);

        store.Add([Span("1"), Span("2"), Span("3"), Span("4")]);
        Assert.Equal(["2", "3", "4"], store.Spans().Select(s => s.Name));

        store.Paused = true;
        store.Add([Span("5")]);
        Assert.Equal(3, store.Spans().Count);

        store.Clear();
        Assert.Empty(store.Spans());
    }

    private void Configure(OtlpExporterOptions options, string path)
    {
        options.Endpoint = new Uri(_endpoint, path);
        options.Protocol = OtlpExportProtocol.HttpProtobuf;
        options.Headers = $"{DashboardSettings.OtlpApiKeyHeader}={_settings.OtlpApiKey}";
    }
}
