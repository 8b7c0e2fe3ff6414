namespace PrivacySuite.AppHost.Hosting.Telemetry;

// What the dashboard keeps of each signal: plain records, ready to serialise as JSON for the API and the pages.

/// <summary>The emitting resource: OTEL_SERVICE_NAME, and the instance id and region the AppHost sets.</summary>
public sealed record TelemetryResource(string ServiceName, string? InstanceId, string? Region)
{
    /// <summary>
    /// The AppHost's resource name (e.g. consent-beijing): like Aspire, the AppHost gives it as OTEL_SERVICE_NAME and
    /// makes the instance id unique per process start, so a restarted service keeps its name.
    /// </summary>
    public string Name => ServiceName;
}

public sealed record SpanEvent(string Name, DateTimeOffset Time, IReadOnlyDictionary<string, string> Attributes);

public sealed record SpanRecord(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    DateTimeOffset Start,
    DateTimeOffset End,
    string Status,
    string? StatusMessage,
    string Scope,
    TelemetryResource Resource,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<SpanEvent> Events)
{
    public double DurationMs => (End - Start).TotalMilliseconds;
}

public sealed record LogRecord(
    DateTimeOffset Time,
    string Severity,
    int SeverityNumber,
    string Message,
    string Category,
    string? TraceId,
    string? SpanId,
    TelemetryResource Resource,
    IReadOnlyDictionary<string, string> Attributes);

public sealed record MetricPoint(
    string Name,
    string Unit,
    string Description,
    string Type,
    DateTimeOffset Time,
    double Value,
    ulong? Count,
    TelemetryResource Resource,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>False for a sum that can go down (an up-down counter): its value is charted, not its rate.</summary>
    public bool Monotonic { get; init; } = true;
}
