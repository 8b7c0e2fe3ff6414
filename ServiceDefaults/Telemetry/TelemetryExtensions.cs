using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace PrivacySuite.ServiceDefaults.Telemetry;

/// <summary>Names of the suite's own activity sources and meters.</summary>
public static class SuiteTelemetry
{
    public const string SourceName = "PrivacySuite";

    /// <summary>MassTransit's activity source and meter.</summary>
    public const string MassTransitName = "MassTransit";

    public static readonly ActivitySource Source = new(SourceName);

    public static readonly Meter Meter = new(SourceName);
}

/// <summary>OpenTelemetry in the shape of Aspire's ServiceDefaults template.</summary>
public static class TelemetryExtensions
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Unlike the template, nothing at all is registered without an endpoint (the AppHost always sets one): listeners
        // that record spans, metrics and log records for nobody would cost every request on the hot path (the consent
        // check) for nothing.
        if (!HasOtlpEndpoint(builder.Configuration))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => ConfigureResource(resource, builder))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(SuiteTelemetry.MassTransitName, SuiteTelemetry.SourceName))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNetCore =>
                    // Health probes run every few seconds; their spans (and everything under them) would drown the real traffic.
                    aspNetCore.Filter = context =>
                        !context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthEndpointPath) &&
                        !context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivenessEndpointPath))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(SuiteTelemetry.MassTransitName, SuiteTelemetry.SourceName));

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (HasOtlpEndpoint(builder.Configuration))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    private static bool HasOtlpEndpoint(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);

    /// <summary>
    /// The SDK reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the AppHost sets both); outside the AppHost the
    /// application's name stands in, and the region comes from PrivacySuite:Region.
    /// </summary>
    private static void ConfigureResource(ResourceBuilder resource, IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
        {
            resource.AddService(serviceName: builder.Environment.ApplicationName);
        }

        if (builder.Configuration["PrivacySuite:Region"] is { Length: > 0 } region)
        {
            resource.AddAttributes([new("deployment.region", region)]);
        }
    }
}
