using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace PrivacySuite.ServiceDefaults.Telemetry;

/// <summary>Names of the suite's own activity sources and meters.</summary>
public static class SuiteTelemetry
{
    public const string SourceName = "PrivacySuite";

    public static readonly ActivitySource Source = new(SourceName);

    public static readonly Meter Meter = new(SourceName);
}

public static class TelemetryExtensions
{
    // .NET's built-in instrumentation: no OpenTelemetry.Instrumentation.* packages are available here, and none are needed.
    private static readonly string[] TraceSources =
        ["Microsoft.AspNetCore", "System.Net.Http", "MassTransit", "Npgsql", SuiteTelemetry.SourceName];

    private static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http",
        "System.Runtime", "MassTransit", "Npgsql", SuiteTelemetry.SourceName,
    ];

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Without this, ASP.NET Core's server spans carry no method, path or status (there is no instrumentation package here).
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        // Without an endpoint (the AppHost sets one) there is nowhere to send telemetry: recording spans and log records
        // for nobody would cost every request on the hot path (the consent check) for nothing.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        IOpenTelemetryBuilder otel = new OpenTelemetryServices(builder.Services);
        otel.ConfigureResource(resource => resource
                .AddService(serviceName: builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName)
                .AddAttributes(RegionAttributes(builder.Configuration))
                .AddEnvironmentVariableDetector())
            .WithMetrics(metrics => metrics.AddMeter(Meters))
            .WithTracing(tracing => tracing
                .AddSource(TraceSources)
                .SetSampler(new HealthProbeSampler()))
            .UseOtlpExporter();

        builder.Services.AddHostedService<TelemetryProvidersStarter>();
        return builder;
    }

    private static IEnumerable<KeyValuePair<string, object>> RegionAttributes(IConfiguration configuration)
    {
        var region = configuration["PrivacySuite:Region"];
        if (!string.IsNullOrEmpty(region))
        {
            yield return new("deployment.region", region);
        }
    }

    /// <summary>The hosting package is not available here; this is the whole of what it would add.</summary>
    private sealed class OpenTelemetryServices(IServiceCollection services) : IOpenTelemetryBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    /// <summary>Resolves the providers at start-up so that sources and meters are listened to from the first request.</summary>
    private sealed class TelemetryProvidersStarter(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetService<TracerProvider>();
            _ = services.GetService<MeterProvider>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Health probes run every few seconds; their spans would drown the real traffic. ASP.NET Core gives the request
    /// path to samplers when it creates the server span, so the probe and everything under it are never recorded.
    /// </summary>
    private sealed class HealthProbeSampler : Sampler
    {
        private readonly Sampler _inner = new ParentBasedSampler(new AlwaysOnSampler());

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            if (samplingParameters.Kind == ActivityKind.Server && samplingParameters.Tags is not null)
            {
                foreach (var tag in samplingParameters.Tags)
                {
                    if (tag.Key == "url.path" && tag.Value is string path &&
                        (path == ServiceDefaultsExtensions.HealthEndpointPath || path == ServiceDefaultsExtensions.AlivenessEndpointPath))
                    {
                        return new SamplingResult(SamplingDecision.Drop);
                    }
                }
            }

            return _inner.ShouldSample(samplingParameters);
        }
    }
}
