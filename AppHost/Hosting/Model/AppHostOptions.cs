using System.Globalization;
using System.Net;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>The AppHost's command line.</summary>
public sealed record AppHostOptions
{
    public const string Usage = """
        Usage: PrivacySuite.AppHost [options]
          --state-dir DIR            where infrastructure data, credentials and logs live (default: .suite/ in the repo)
          --fresh                    wipe the state folder first (all data, credentials and logs)
          --dashboard-port N         the dashboard and OTLP port (default 18888)
          --dashboard-address IP     where the dashboard listens (default 127.0.0.1)
          --port NAME[.ENDPOINT]=N   override one port, e.g. --port postgres-beijing=6432, --port rabbitmq-guangzhou.management=16000
          --random-ports             pick every port free at start (tests, two suites side by side)
        """;

    public string? StateDir { get; init; }

    public bool Fresh { get; init; }

    public int DashboardPort { get; init; } = 18888;

    public IPAddress DashboardAddress { get; init; } = IPAddress.Loopback;

    public bool RandomPorts { get; init; }

    public IReadOnlyDictionary<string, int> PortOverrides { get; init; } = new Dictionary<string, int>();

    public bool ShowHelp { get; init; }

    public static AppHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppHostOptions();
        var overrides = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new HostingException($"{args[i]} needs a value.\n{Usage}");
            switch (args[i])
            {
                case "--state-dir":
                    options = options with { StateDir = Value() };
                    break;
                case "--fresh":
                    options = options with { Fresh = true };
                    break;
                case "--random-ports":
                    options = options with { RandomPorts = true };
                    break;
                case "--dashboard-port":
                    options = options with { DashboardPort = ParsePort(Value(), "--dashboard-port") };
                    break;
                case "--dashboard-address":
                    var text = Value();
                    options = options with
                    {
                        DashboardAddress = IPAddress.TryParse(text, out var address) ? address : throw new HostingException($"--dashboard-address {text} is not an IP address."),
                    };
                    break;
                case "--port":
                    var spec = Value();
                    var eq = spec.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new HostingException($"--port {spec}: expected NAME[.ENDPOINT]=PORT, e.g. postgres-beijing=6432.");
                    }

                    overrides[spec[..eq]] = ParsePort(spec[(eq + 1)..], "--port " + spec[..eq]);
                    break;
                case "--help" or "-h":
                    options = options with { ShowHelp = true };
                    break;
                default:
                    throw new HostingException($"Unknown option {args[i]}.\n{Usage}");
            }
        }

        return options with { PortOverrides = overrides };
    }

    /// <summary>The port for one endpoint: an override by NAME.ENDPOINT (or NAME for the first endpoint), a free one, or the default.</summary>
    public int PortFor(string resource, string endpoint, int defaultPort, bool primary)
    {
        if (PortOverrides.TryGetValue($"{resource}.{endpoint}", out var port) || (primary && PortOverrides.TryGetValue(resource, out port)))
        {
            return port;
        }

        return RandomPorts ? RandomFreePort() : defaultPort;
    }

    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A free port below the kernel's ephemeral range: an ephemeral one (what Ports.GetFree gives) can be taken by any
    /// outgoing connection between the moment it is chosen and the moment the resource binds it, which on a busy
    /// machine happens.
    /// </summary>
    internal static int RandomFreePort()
    {
        var ephemeralLow = 32768;
        if (File.Exists("/proc/sys/net/ipv4/ip_local_port_range") &&
            int.TryParse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
                CultureInfo.InvariantCulture, out var low))
        {
            ephemeralLow = low;
        }

        lock (Handed)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(Math.Max(1024, ephemeralLow - 12000), ephemeralLow);
                if (Handed.Add(port) && !Ports.IsInUse(port))
                {
                    return port;
                }
            }
        }

        return Ports.GetFree();
    }

    private static int ParsePort(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new HostingException($"{option}: {text} is not a port number (1-65535).");
}
