using System.Net;
using System.Net.Sockets;

namespace PrivacySuite.AppHost.Hosting;

public static class Ports
{
    private static readonly HashSet<int> Given = [];

    /// <summary>
    /// A port that was free on 127.0.0.1 a moment ago, and never one handed out before in this process. Chosen below the
    /// kernel's ephemeral range: a port the OS picks (bind to 0) is one it also gives to outgoing connections, and a
    /// broker that came to listen on it a few seconds later found it taken.
    /// </summary>
    public static int GetFree()
    {
        var below = EphemeralRangeStart();
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(10_000, below);
                if (!Given.Contains(port) && !IsInUse(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new HostingException($"No free port found on 127.0.0.1 between 10000 and {below}.");
    }

    /// <summary>The first port of net.ipv4.ip_local_port_range (32768 on Debian).</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            return int.TryParse(first, out var port) && port > 11_000 ? port : 32_768;
        }
        catch (IOException)
        {
            return 32_768;
        }
    }

    public static bool IsInUse(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Throws with a clear message when <paramref name="port"/> is taken.</summary>
    public static void EnsureFree(int port, string resource, string option)
    {
        if (IsInUse(port))
        {
            throw new HostingException(
                $"Port {port} for {resource} is already in use on 127.0.0.1. Stop whatever holds it (ss -ltnp 'sport = :{port}') " +
                $"or choose another port with {option}.");
        }
    }

    public static async Task<bool> AcceptsConnectionsAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>An error the operator can fix; its message says what went wrong and what to do.</summary>
public sealed class HostingException(string message) : Exception(message);
