namespace PrivacySuite.AppHost.Hosting.Telemetry;

/// <summary>
/// A bounded in-memory window of what the services sent: the newest spans, logs and metric points, oldest dropped
/// first, as Aspire's dashboard keeps them. Pause stops recording; clear empties the window.
/// </summary>
public sealed class TelemetryStore(int maxSpans = 50_000, int maxLogs = 50_000, int maxMetricPoints = 100_000)
{
    private readonly Lock _sync = new();
    private readonly LinkedList<SpanRecord> _spans = new();
    private readonly LinkedList<LogRecord> _logs = new();
    private readonly LinkedList<MetricPoint> _metrics = new();

    public bool Paused { get; set; }

    /// <summary>Decodes one OTLP/protobuf export request of <paramref name="signal"/> (traces, logs or metrics) into the window.</summary>
    /// <exception cref="FormatException">The body is not a valid message of that signal.</exception>
    public void AddOtlp(string signal, ReadOnlySpan<byte> body)
    {
        switch (signal)
        {
            case "traces": Add(OtlpDecoder.DecodeTraces(body)); break;
            case "logs": Add(OtlpDecoder.DecodeLogs(body)); break;
            case "metrics": Add(OtlpDecoder.DecodeMetrics(body)); break;
            default: throw new ArgumentOutOfRangeException(nameof(signal), signal, "traces, logs or metrics");
        }
    }

    public void Add(IEnumerable<SpanRecord> spans) => Append(_spans, spans, maxSpans);

    public void Add(IEnumerable<LogRecord> logs) => Append(_logs, logs, maxLogs);

    public void Add(IEnumerable<MetricPoint> points) => Append(_metrics, points, maxMetricPoints);

    public IReadOnlyList<SpanRecord> Spans(Func<SpanRecord, bool>? filter = null) => Snapshot(_spans, filter);

    public IReadOnlyList<LogRecord> Logs(Func<LogRecord, bool>? filter = null) => Snapshot(_logs, filter);

    public IReadOnlyList<MetricPoint> Metrics(Func<MetricPoint, bool>? filter = null) => Snapshot(_metrics, filter);

    public void Clear()
    {
        lock (_sync)
        {
            _spans.Clear();
            _logs.Clear();
            _metrics.Clear();
        }
    }

    private void Append<T>(LinkedList<T> list, IEnumerable<T> items, int max)
    {
        if (Paused)
        {
            return;
        }

        lock (_sync)
        {
            foreach (var item in items)
            {
                list.AddLast(item);
                if (list.Count > max)
                {
                    list.RemoveFirst();
                }
            }
        }
    }

    private List<T> Snapshot<T>(LinkedList<T> list, Func<T, bool>? filter)
    {
        lock (_sync)
        {
            return filter is null ? [.. list] : [.. list.Where(filter)];
        }
    }
}
