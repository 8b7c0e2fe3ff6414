using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.AppHost.Hosting.Telemetry;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>One trace as the traces view and tools read it: a summary and its spans, oldest first.</summary>
public sealed record TraceDto(
    string TraceId, string Name, string RootResource, DateTimeOffset Start, double DurationMs, IReadOnlyList<string> Resources,
    int SpanCount, int ErrorCount, IReadOnlyList<SpanRecord> Spans);

public sealed record TracesDto(bool Paused, int Total, IReadOnlyList<TraceDto> Traces);

public sealed record LogsDto(bool Paused, int Total, IReadOnlyList<LogRecord> Logs);

public sealed record MetricPointDto(DateTimeOffset Time, double Value, ulong? Count);

public sealed record MetricSeriesDto(IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<MetricPointDto> Points);

public sealed record InstrumentDto(string Name, string Unit, string Description, string Type, bool Monotonic, IReadOnlyList<MetricSeriesDto> Series);

public sealed record MetricsDto(bool Paused, string? Resource, IReadOnlyList<string> Resources, IReadOnlyList<InstrumentDto> Instruments);

public sealed record TelemetryStateDto(bool Paused, int Spans, int Logs, int MetricPoints, long TracesAccepted, long LogsAccepted, long MetricsAccepted, long Rejected);

/// <summary>
/// The telemetry window as JSON: traces (with their spans), structured logs and metrics, plus pause and clear.
/// Reads, like /api/resources, are open to loopback callers (tools on this machine) or the dashboard token; the
/// pause and clear commands need the token.
/// </summary>
public static class TelemetryApi
{
    public const int MaxTraces = 500;
    public const int MaxLogs = 2000;
    public const int MaxTextFilter = 200;
    public const int MaxSpansPerTrace = 2000;
    public const int MaxSeriesPerInstrument = 24;
    public const int MaxPointsPerSeries = 180;
    public static readonly IReadOnlyList<string> Levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api").AddEndpointFilter(async (context, next) =>
            DashboardAuth.IsLoopback(context.HttpContext) ||
            context.HttpContext.RequestServices.GetRequiredService<DashboardAuth>().IsAuthenticated(context.HttpContext)
                ? await next(context)
                : DashboardProblems.Unauthorized());

        read.MapGet("/traces", Traces);
        read.MapGet("/traces/{traceId}", Trace);
        read.MapGet("/logs", Logs);
        read.MapGet("/metrics", Metrics);
        read.MapGet("/telemetry", (OtlpReceiver otlp) => TypedResults.Ok(State(otlp)));

        var control = app.MapGroup("/api/telemetry").AddEndpointFilter(DashboardProblems.RequireToken);
        control.MapPost("/pause", (OtlpReceiver otlp) =>
        {
            otlp.Store.Paused = true;
            return TypedResults.Ok(State(otlp));
        });
        control.MapPost("/resume", (OtlpReceiver otlp) =>
        {
            otlp.Store.Paused = false;
            return TypedResults.Ok(State(otlp));
        });
        control.MapPost("/clear", (OtlpReceiver otlp) =>
        {
            otlp.Store.Clear();
            return TypedResults.Ok(State(otlp));
        });
        return app;
    }

    private static TelemetryStateDto State(OtlpReceiver otlp) => new(
        otlp.Store.Paused, otlp.Store.Spans().Count, otlp.Store.Logs().Count, otlp.Store.Metrics().Count,
        otlp.Accepted("traces"), otlp.Accepted("logs"), otlp.Accepted("metrics"), otlp.Rejected);

    // minSpans leaves out smaller traces: the relays' and sweepers' polling makes many one-span traces.
    private static Results<Ok<TracesDto>, ProblemHttpResult> Traces(OtlpReceiver otlp, string? resource = null, string? text = null, int? limit = null, int minSpans = 1)
    {
        if (Invalid(resource, text, limit, MaxTraces) is { } problem)
        {
            return problem;
        }

        if (minSpans is < 1 or > MaxSpansPerTrace)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad minSpans",
                detail: $"minSpans is between 1 and {MaxSpansPerTrace}.");
        }

        // Every span of a trace that touches the resource, not only the resource's own: the waterfall needs the whole trace.
        var byTrace = otlp.Store.Spans().GroupBy(s => s.TraceId).ToList();
        var matching = byTrace
            .Where(g => g.Count() >= minSpans)
            .Where(g => resource is null || g.Any(s => string.Equals(s.Resource.Name, resource, StringComparison.OrdinalIgnoreCase)))
            .Where(g => text is null || g.Any(s => s.Name.Contains(text, StringComparison.OrdinalIgnoreCase) || s.TraceId.StartsWith(text, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        // Only the traces on the page are assembled: the window can hold tens of thousands.
        var page = matching.OrderByDescending(g => g.Min(s => s.Start)).Take(limit ?? 50).Select(g => ToTrace(g.ToList())).ToList();
        return TypedResults.Ok(new TracesDto(otlp.Store.Paused, matching.Count, page));
    }

    private static Results<Ok<TraceDto>, ProblemHttpResult> Trace(string traceId, OtlpReceiver otlp)
    {
        if (!IsHexId(traceId, 32))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a trace id",
                detail: "A trace id is 32 hexadecimal characters, as /api/traces lists them.");
        }

        var spans = otlp.Store.Spans(s => string.Equals(s.TraceId, traceId, StringComparison.OrdinalIgnoreCase));
        return spans.Count == 0
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such trace in the window",
                detail: "The trace is not (or no longer) in the telemetry window: it keeps the newest spans only, and clear empties it.")
            : TypedResults.Ok(ToTrace(spans.ToList()));
    }

    private static Results<Ok<LogsDto>, ProblemHttpResult> Logs(
        OtlpReceiver otlp, string? resource = null, string? level = null, string? text = null, string? traceId = null, int? limit = null)
    {
        if (Invalid(resource, text, limit, MaxLogs) is { } problem)
        {
            return problem;
        }

        var minimum = 0;
        if (level is not null)
        {
            var index = Levels.ToList().FindIndex(l => string.Equals(l, level, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown log level",
                    detail: $"level is the minimum severity, one of: {string.Join(", ", Levels)}.");
            }

            // OTLP severity numbers: TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24.
            minimum = 1 + (index * 4);
        }

        if (traceId is not null && !IsHexId(traceId, 32))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a trace id",
                detail: "traceId is 32 hexadecimal characters.");
        }

        var logs = otlp.Store.Logs(l =>
            (resource is null || string.Equals(l.Resource.Name, resource, StringComparison.OrdinalIgnoreCase)) &&
            l.SeverityNumber >= minimum &&
            (traceId is null || string.Equals(l.TraceId, traceId, StringComparison.OrdinalIgnoreCase)) &&
            (text is null || l.Message.Contains(text, StringComparison.OrdinalIgnoreCase) || l.Category.Contains(text, StringComparison.OrdinalIgnoreCase)));
        return TypedResults.Ok(new LogsDto(otlp.Store.Paused, logs.Count, logs.Reverse().Take(limit ?? 200).ToList()));
    }

    private static Results<Ok<MetricsDto>, ProblemHttpResult> Metrics(OtlpReceiver otlp, string? resource = null, string? name = null)
    {
        if (Invalid(resource, name, null, 1) is { } problem)
        {
            return problem;
        }

        var all = otlp.Store.Metrics();
        var resources = all.Select(m => m.Resource.Name).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        if (resource is null)
        {
            // Without a resource: which resources send metrics, so a tool (or the view) can pick one.
            return TypedResults.Ok(new MetricsDto(otlp.Store.Paused, null, resources, []));
        }

        var instruments = all
            .Where(m => string.Equals(m.Resource.Name, resource, StringComparison.OrdinalIgnoreCase) && (name is null || m.Name == name))
            .GroupBy(m => m.Name)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var last = g.Last();
                var series = g.GroupBy(p => SeriesKey(p.Attributes))
                    .Select(s => new MetricSeriesDto(s.First().Attributes,
                        s.TakeLast(MaxPointsPerSeries).Select(p => new MetricPointDto(p.Time, p.Value, p.Count)).ToList()))
                    .OrderByDescending(s => s.Points.Count).ThenBy(s => SeriesKey(s.Attributes), StringComparer.Ordinal)
                    .Take(MaxSeriesPerInstrument)
                    .ToList();
                return new InstrumentDto(g.Key, last.Unit, last.Description, last.Type, last.Monotonic, series);
            })
            .ToList();
        return TypedResults.Ok(new MetricsDto(otlp.Store.Paused, resource, resources, instruments));
    }

    private static TraceDto ToTrace(List<SpanRecord> spans)
    {
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        // The root is the span without a parent in the window (the earliest such, when the real root has not arrived yet).
        var root = spans.FirstOrDefault(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)) ?? spans[0];
        var start = spans[0].Start;
        var end = spans.Max(s => s.End);
        return new TraceDto(
            spans[0].TraceId,
            Title(root),
            root.Resource.Name,
            start,
            (end - start).TotalMilliseconds,
            spans.Select(s => s.Resource.Name).Distinct(StringComparer.Ordinal).ToList(),
            spans.Count,
            spans.Count(s => s.Status == "Error"),
            spans.Take(MaxSpansPerTrace).ToList());
    }

    /// <summary>
    /// What an operator recognises: ASP.NET Core names its server spans after the activity
    /// (Microsoft.AspNetCore.Hosting.HttpRequestIn), so an HTTP span is titled by method and route instead.
    /// </summary>
    public static string Title(SpanRecord span)
    {
        if (!span.Attributes.TryGetValue("http.request.method", out var method))
        {
            return span.Name;
        }

        if (span.Attributes.TryGetValue("http.route", out var target) || span.Attributes.TryGetValue("url.path", out target))
        {
            return $"{method} {target}";
        }

        // A client span carries the whole URL: its path names the call.
        return span.Attributes.TryGetValue("url.full", out var url) && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? $"{method} {uri.AbsolutePath}"
            : span.Name;
    }

    private static ProblemHttpResult? Invalid(string? resource, string? text, int? limit, int maxLimit)
    {
        if (resource is { Length: 0 or > 100 })
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad resource name",
                detail: "resource is a resource name of 1-100 characters, as GET /api/resources lists them.");
        }

        if (text is { Length: 0 or > MaxTextFilter })
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad text filter",
                detail: $"The text filter is 1-{MaxTextFilter} characters.");
        }

        if (limit is { } n && (n < 1 || n > maxLimit))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad limit",
                detail: $"limit is between 1 and {maxLimit}.");
        }

        return null;
    }

    private static bool IsHexId(string value, int length) => value.Length == length && value.All(char.IsAsciiHexDigit);

    private static string SeriesKey(IReadOnlyDictionary<string, string> attributes) =>
        string.Join(",", attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Key}={a.Value}")));
}

/// <summary>Problem details and the token filter the dashboard's APIs share.</summary>
public static class DashboardProblems
{
    public static ProblemHttpResult Unauthorized() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Dashboard token required",
            detail: "Open the login URL the AppHost printed at start, or send Authorization: Bearer <token>.");

    public static async ValueTask<object?> RequireToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.RequestServices.GetRequiredService<DashboardAuth>().IsAuthenticated(context.HttpContext)
            ? await next(context)
            : Unauthorized();
}
