using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace PrivacySuite.AppHost.Hosting.Telemetry;

/// <summary>OTLP over HTTP with protobuf bodies (the services' OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).</summary>
public static class OtlpReceiver
{
    /// <summary>Exporters batch; a body beyond this is refused rather than buffered.</summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    public static IEndpointRouteBuilder MapOtlpReceiver(this IEndpointRouteBuilder endpoints, TelemetryStore store)
    {
        endpoints.MapPost("/v1/traces", (HttpRequest request) => ReceiveAsync(request, body => store.Add(OtlpDecoder.DecodeTraces(body))));
        endpoints.MapPost("/v1/logs", (HttpRequest request) => ReceiveAsync(request, body => store.Add(OtlpDecoder.DecodeLogs(body))));
        endpoints.MapPost("/v1/metrics", (HttpRequest request) => ReceiveAsync(request, body => store.Add(OtlpDecoder.DecodeMetrics(body))));
        return endpoints;
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest request, Action<byte[]> decode)
    {
        if (request.ContentType?.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase) != true)
        {
            return TypedResults.Problem("OTLP bodies must be application/x-protobuf (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).",
                statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return TypedResults.Problem($"OTLP body larger than {MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var body = request.Body;
        if (string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            body = new GZipStream(body, CompressionMode.Decompress);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return TypedResults.Problem($"OTLP body larger than {MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            decode(buffer.ToArray());
        }
        catch (FormatException e)
        {
            return TypedResults.Problem($"Not a valid OTLP protobuf message: {e.Message}", statusCode: StatusCodes.Status400BadRequest);
        }

        // An empty Export*ServiceResponse: full success.
        return TypedResults.Bytes([], "application/x-protobuf");
    }
}
