using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>
/// OTLP over HTTP (/v1/traces, /v1/logs, /v1/metrics), guarded by the per-run API key the services get in
/// OTEL_EXPORTER_OTLP_HEADERS. For now it acknowledges and counts what arrives; storing and showing it is a later view.
/// </summary>
public sealed class OtlpReceiver
{
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

                try
                {
                    // Read to the end (within Kestrel's size limit) so the exporter sees a complete exchange.
                    await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    receiver.CountRejected();
                    return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "OTLP batch too large",
                        detail: $"Batches up to {OtlpReceiver.MaxBodyBytes / (1024 * 1024)} MB are accepted.");
                }

                receiver.Count(signal);
                return TypedResults.File(EmptyExportResponse, "application/x-protobuf");
            });
        }

        return app;
    }
}
