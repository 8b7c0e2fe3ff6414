using System.Net;
using System.Net.Sockets;

namespace PrivacySuite.AppHost.Hosting;

public static class Ports
{
    /// <summary>A port that was free on 127.0.0.1 a moment ago (the OS picks it).</summary>
    public static int GetFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
