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
