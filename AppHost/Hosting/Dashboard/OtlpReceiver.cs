using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.AppHost.Hosting.Telemetry;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>
/// OTLP over HTTP (/v1/traces, /v1/logs, /v1/metrics), guarded by the per-run API key the services get in
/// OTEL_EXPORTER_OTLP_HEADERS. What arrives is decoded into <see cref="Store"/>, the window the telemetry views read.
/// </summary>
public sealed class OtlpReceiver
{
    public TelemetryStore Store { get; } = new();

    public const long MaxBodyBytes = 4 * 1024 * 1024;
    public static readonly IReadOnlyList<string> Signals = ["traces", "logs", "metrics"];
    private long _traces;
    private long _logs;
    private long _metrics;
    private long _rejected;

    public long Accepted(string signal) => signal switch
    {
        "traces" => Interlocked.Read(ref _traces),
        "logs" => Interlocked.Read(ref _logs),
        "metrics" => Interlocked.Read(ref _metrics),
        _ => 0,
    };

    public long Rejected => Interlocked.Read(ref _rejected);

    internal void Count(string signal)
    {
        switch (signal)
        {
            case "traces": Interlocked.Increment(ref _traces); break;
            case "logs": Interlocked.Increment(ref _logs); break;
            default: Interlocked.Increment(ref _metrics); break;
        }
    }

    internal void CountRejected() => Interlocked.Increment(ref _rejected);
}

public static class OtlpEndpoints
{
    private static readonly byte[] EmptyExportResponse = [];

    public static IEndpointRouteBuilder MapOtlpReceiver(this IEndpointRouteBuilder app)
    {
        foreach (var signal in OtlpReceiver.Signals)
        {
            app.MapPost($"/v1/{signal}", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (HttpContext context, OtlpReceiver receiver, Model.DashboardSettings settings) =>
            {
                var key = context.Request.Headers[Model.DashboardSettings.OtlpApiKeyHeader].ToString();
                if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                        System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(settings.OtlpApiKey)))
                {
                    receiver.CountRejected();
                    return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "OTLP API key required",
                        detail: $"Send the {Model.DashboardSettings.OtlpApiKeyHeader} header the AppHost gives services in OTEL_EXPORTER_OTLP_HEADERS.");
                }

                if (context.Request.ContentType?.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase) != true)
                {
                    receiver.CountRejected();
                    return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "OTLP over HTTP/protobuf only",
                        detail: "Send Content-Type: application/x-protobuf (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).");
                }

                using var body = new MemoryStream();
                try
                {
                    // Kestrel's size limit bounds what is buffered.
                    await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    receiver.CountRejected();
                    return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "OTLP batch too large",
                        detail: $"Batches up to {OtlpReceiver.MaxBodyBytes / (1024 * 1024)} MB are accepted.");
                }

                try
                {
                    receiver.Store.AddOtlp(signal, body.GetBuffer().AsSpan(0, (int)body.Length));
                }
                catch (FormatException e)
                {
                    receiver.CountRejected();
                    return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an OTLP protobuf message", detail: e.Message);
                }

                receiver.Count(signal);
                return TypedResults.File(EmptyExportResponse, "application/x-protobuf");
            });
        }

        return app;
    }
}
