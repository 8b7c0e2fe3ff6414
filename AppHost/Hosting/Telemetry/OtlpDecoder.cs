using System.Globalization;
using System.Text;

namespace PrivacySuite.AppHost.Hosting.Telemetry;

/// <summary>
/// Decodes OTLP/HTTP protobuf requests (ExportTraceServiceRequest, ExportLogsServiceRequest,
/// ExportMetricsServiceRequest) following the field numbers of the opentelemetry-proto specification.
/// </summary>
public static class OtlpDecoder
{
    private static readonly string[] SpanKinds = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"];
    private static readonly string[] StatusCodes = ["Unset", "Ok", "Error"];

    public static List<SpanRecord> DecodeTraces(ReadOnlySpan<byte> body) =>
        [.. Items(body).Select(i => DecodeSpan(i.Item, i.Scope, i.Resource))];

    public static List<LogRecord> DecodeLogs(ReadOnlySpan<byte> body) =>
        [.. Items(body).Select(i => DecodeLogRecord(i.Item, i.Scope, i.Resource))];

    public static List<MetricPoint> DecodeMetrics(ReadOnlySpan<byte> body)
    {
        var points = new List<MetricPoint>();
        foreach (var (resource, _, metric) in Items(body))
        {
            DecodeMetric(metric, resource, points);
        }

        return points;
    }

    /// <summary>
    /// The three export requests share one shape: repeated Resource{Signal} (1), each a Resource (1) and repeated
    /// Scope{Signal} (2), each an InstrumentationScope (1) and the repeated items (2). Returns every item with its
    /// resource and scope name; fields may come in any order, so the resource is read before the items are paired.
    /// </summary>
    private static List<(TelemetryResource Resource, string Scope, byte[] Item)> Items(ReadOnlySpan<byte> body)
    {
        var items = new List<(TelemetryResource, string, byte[])>();
        var request = new ProtoReader(body);
        while (request.TryReadTag(out var field, out var wire))
        {
            if (field != 1 || wire != ProtoReader.LengthDelimited)
            {
                request.Skip(wire);
                continue;
            }

            var reader = new ProtoReader(request.ReadBytes());
            var resource = new TelemetryResource("unknown", null, null);
            var scopeBlocks = new List<byte[]>();
            while (reader.TryReadTag(out var f, out var w))
            {
                switch (f)
                {
                    case 1 when w == ProtoReader.LengthDelimited: resource = DecodeResource(reader.ReadBytes()); break;
                    case 2 when w == ProtoReader.LengthDelimited: scopeBlocks.Add(reader.ReadBytes().ToArray()); break;
                    default: reader.Skip(w); break;
                }
            }

            foreach (var block in scopeBlocks)
            {
                var scopeReader = new ProtoReader(block);
                var scope = "";
                var scoped = new List<byte[]>();
                while (scopeReader.TryReadTag(out var f, out var w))
                {
                    switch (f)
                    {
                        case 1 when w == ProtoReader.LengthDelimited: scope = DecodeScopeName(scopeReader.ReadBytes()); break;
                        case 2 when w == ProtoReader.LengthDelimited: scoped.Add(scopeReader.ReadBytes().ToArray()); break;
                        default: scopeReader.Skip(w); break;
                    }
                }

                items.AddRange(scoped.Select(item => (resource, scope, item)));
            }
        }

        return items;
    }

    private static SpanRecord DecodeSpan(ReadOnlySpan<byte> bytes, string scope, TelemetryResource resource)
    {
        var reader = new ProtoReader(bytes);
        string traceId = "", spanId = "", name = "", status = "Unset";
        string? parent = null, statusMessage = null;
        var kind = 0;
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, string>();
        var events = new List<SpanEvent>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited: traceId = Convert.ToHexStringLower(reader.ReadBytes()); break;
                case 2 when wire == ProtoReader.LengthDelimited: spanId = Convert.ToHexStringLower(reader.ReadBytes()); break;
                case 4 when wire == ProtoReader.LengthDelimited:
                    var parentBytes = reader.ReadBytes();
                    parent = parentBytes.IsEmpty ? null : Convert.ToHexStringLower(parentBytes);
                    break;
                case 5 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(); break;
                case 6 when wire == ProtoReader.Varint: kind = (int)reader.ReadVarint(); break;
                case 7 when wire == ProtoReader.Fixed64: start = reader.ReadFixed64(); break;
                case 8 when wire == ProtoReader.Fixed64: end = reader.ReadFixed64(); break;
                case 9 when wire == ProtoReader.LengthDelimited: AddKeyValue(reader.ReadBytes(), attributes); break;
                case 11 when wire == ProtoReader.LengthDelimited: events.Add(DecodeEvent(reader.ReadBytes())); break;
                case 15 when wire == ProtoReader.LengthDelimited: (status, statusMessage) = DecodeStatus(reader.ReadBytes()); break;
                default: reader.Skip(wire); break;
            }
        }

        return new SpanRecord(traceId, spanId, parent, name, kind < SpanKinds.Length ? SpanKinds[kind] : "Unspecified",
            FromUnixNanos(start), FromUnixNanos(end), status, statusMessage, scope, resource, attributes, events);
    }

    private static SpanEvent DecodeEvent(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        ulong time = 0;
        var name = "";
        var attributes = new Dictionary<string, string>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.Fixed64: time = reader.ReadFixed64(); break;
                case 2 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(); break;
                case 3 when wire == ProtoReader.LengthDelimited: AddKeyValue(reader.ReadBytes(), attributes); break;
                default: reader.Skip(wire); break;
            }
        }

        return new SpanEvent(name, FromUnixNanos(time), attributes);
    }

    private static (string Status, string? Message) DecodeStatus(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var code = 0;
        string? message = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 2 when wire == ProtoReader.LengthDelimited: message = reader.ReadString(); break;
                case 3 when wire == ProtoReader.Varint: code = (int)reader.ReadVarint(); break;
                default: reader.Skip(wire); break;
            }
        }

        return (code < StatusCodes.Length ? StatusCodes[code] : "Unset", string.IsNullOrEmpty(message) ? null : message);
    }

    private static LogRecord DecodeLogRecord(ReadOnlySpan<byte> bytes, string scope, TelemetryResource resource)
    {
        var reader = new ProtoReader(bytes);
        ulong time = 0, observed = 0;
        var severityNumber = 0;
        string severity = "", message = "";
        string? traceId = null, spanId = null;
        var attributes = new Dictionary<string, string>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.Fixed64: time = reader.ReadFixed64(); break;
                case 11 when wire == ProtoReader.Fixed64: observed = reader.ReadFixed64(); break;
                case 2 when wire == ProtoReader.Varint: severityNumber = (int)reader.ReadVarint(); break;
                case 3 when wire == ProtoReader.LengthDelimited: severity = reader.ReadString(); break;
                case 5 when wire == ProtoReader.LengthDelimited: message = AnyValueToString(reader.ReadBytes()); break;
                case 6 when wire == ProtoReader.LengthDelimited: AddKeyValue(reader.ReadBytes(), attributes); break;
                case 9 when wire == ProtoReader.LengthDelimited: traceId = NullIfEmpty(Convert.ToHexStringLower(reader.ReadBytes())); break;
                case 10 when wire == ProtoReader.LengthDelimited: spanId = NullIfEmpty(Convert.ToHexStringLower(reader.ReadBytes())); break;
                default: reader.Skip(wire); break;
            }
        }

        return new LogRecord(FromUnixNanos(time != 0 ? time : observed),
            severity.Length > 0 ? severity : SeverityName(severityNumber), severityNumber, message, scope, traceId, spanId, resource, attributes);
    }

    private static void DecodeMetric(ReadOnlySpan<byte> bytes, TelemetryResource resource, List<MetricPoint> points)
    {
        var reader = new ProtoReader(bytes);
        string name = "", description = "", unit = "";
        var data = new List<(string Type, byte[] Bytes)>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(); break;
                case 2 when wire == ProtoReader.LengthDelimited: description = reader.ReadString(); break;
                case 3 when wire == ProtoReader.LengthDelimited: unit = reader.ReadString(); break;
                case 5 when wire == ProtoReader.LengthDelimited: data.Add(("gauge", reader.ReadBytes().ToArray())); break;
                case 7 when wire == ProtoReader.LengthDelimited: data.Add(("sum", reader.ReadBytes().ToArray())); break;
                case 9 when wire == ProtoReader.LengthDelimited: data.Add(("histogram", reader.ReadBytes().ToArray())); break;
                default: reader.Skip(wire); break;
            }
        }

        foreach (var (type, block) in data)
        {
            var dataReader = new ProtoReader(block);
            var first = points.Count;
            var monotonic = type != "sum"; // Sum.is_monotonic (3) is false unless sent
            while (dataReader.TryReadTag(out var field, out var wire))
            {
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    var point = dataReader.ReadBytes();
                    points.Add(type == "histogram"
                        ? DecodeHistogramPoint(point, name, description, unit, resource)
                        : DecodeNumberPoint(point, name, description, unit, type, resource));
                }
                else if (type == "sum" && field == 3 && wire == ProtoReader.Varint)
                {
                    monotonic = dataReader.ReadVarint() != 0;
                }
                else
                {
                    dataReader.Skip(wire);
                }
            }

            if (!monotonic)
            {
                // An up-down counter: the charts show its value, not a rate.
                for (var i = first; i < points.Count; i++)
                {
                    points[i] = points[i] with { Monotonic = false };
                }
            }
        }
    }

    private static MetricPoint DecodeNumberPoint(ReadOnlySpan<byte> bytes, string name, string description, string unit, string type, TelemetryResource resource)
    {
        var reader = new ProtoReader(bytes);
        ulong time = 0;
        double value = 0;
        var attributes = new Dictionary<string, string>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 3 when wire == ProtoReader.Fixed64: time = reader.ReadFixed64(); break;
                case 4 when wire == ProtoReader.Fixed64: value = reader.ReadDouble(); break;
                case 6 when wire == ProtoReader.Fixed64: value = (long)reader.ReadFixed64(); break;
                case 7 when wire == ProtoReader.LengthDelimited: AddKeyValue(reader.ReadBytes(), attributes); break;
                default: reader.Skip(wire); break;
            }
        }

        return new MetricPoint(name, unit, description, type, FromUnixNanos(time), value, null, resource, attributes);
    }

    private static MetricPoint DecodeHistogramPoint(ReadOnlySpan<byte> bytes, string name, string description, string unit, TelemetryResource resource)
    {
        var reader = new ProtoReader(bytes);
        ulong time = 0, count = 0;
        double sum = 0;
        var attributes = new Dictionary<string, string>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 3 when wire == ProtoReader.Fixed64: time = reader.ReadFixed64(); break;
                case 4 when wire == ProtoReader.Fixed64: count = reader.ReadFixed64(); break;
                case 5 when wire == ProtoReader.Fixed64: sum = reader.ReadDouble(); break;
                case 9 when wire == ProtoReader.LengthDelimited: AddKeyValue(reader.ReadBytes(), attributes); break;
                default: reader.Skip(wire); break;
            }
        }

        return new MetricPoint(name, unit, description, "histogram", FromUnixNanos(time), sum, count, resource, attributes);
    }

    private static TelemetryResource DecodeResource(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var attributes = new Dictionary<string, string>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited)
            {
                AddKeyValue(reader.ReadBytes(), attributes);
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return new TelemetryResource(
            attributes.GetValueOrDefault("service.name", "unknown"),
            attributes.GetValueOrDefault("service.instance.id"),
            attributes.GetValueOrDefault("deployment.region"));
    }

    private static string DecodeScopeName(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited)
            {
                return reader.ReadString();
            }

            reader.Skip(wire);
        }

        return "";
    }

    private static void AddKeyValue(ReadOnlySpan<byte> bytes, Dictionary<string, string> into)
    {
        var reader = new ProtoReader(bytes);
        string? key = null, value = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited: key = reader.ReadString(); break;
                case 2 when wire == ProtoReader.LengthDelimited: value = AnyValueToString(reader.ReadBytes()); break;
                default: reader.Skip(wire); break;
            }
        }

        if (key is not null)
        {
            into[key] = value ?? "";
        }
    }

    private static string AnyValueToString(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited: return reader.ReadString();
                case 2 when wire == ProtoReader.Varint: return reader.ReadVarint() != 0 ? "true" : "false";
                case 3 when wire == ProtoReader.Varint: return ((long)reader.ReadVarint()).ToString(CultureInfo.InvariantCulture);
                case 4 when wire == ProtoReader.Fixed64: return reader.ReadDouble().ToString(CultureInfo.InvariantCulture);
                case 5 when wire == ProtoReader.LengthDelimited: return ArrayToString(reader.ReadBytes());
                case 7 when wire == ProtoReader.LengthDelimited: return Convert.ToBase64String(reader.ReadBytes());
                default: reader.Skip(wire); break;
            }
        }

        return "";
    }

    private static string ArrayToString(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var values = new StringBuilder("[");
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited)
            {
                if (values.Length > 1)
                {
                    values.Append(", ");
                }

                values.Append(AnyValueToString(reader.ReadBytes()));
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return values.Append(']').ToString();
    }

    private static string SeverityName(int number) => number switch
    {
        >= 21 => "Fatal",
        >= 17 => "Error",
        >= 13 => "Warning",
        >= 9 => "Information",
        >= 5 => "Debug",
        >= 1 => "Trace",
        _ => "Unspecified",
    };

    private static DateTimeOffset FromUnixNanos(ulong nanos) =>
        DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((long)(nanos / 100));

    private static string? NullIfEmpty(string value) => value.Length == 0 || value.All(c => c == '0') ? null : value;
}
