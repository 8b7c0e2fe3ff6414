using System.Net.Sockets;

namespace PrivacySuite.Cli;

/// <summary>
/// Sends each request to the region that answered last. When a region cannot be connected to (refused, unknown name, or
/// no connection within <see cref="ApiConnection.ConnectTimeout"/>), the request goes to the next region and stderr says
/// so. Only a connection that never opened is retried: the request never reached a service, so nothing happens twice.
/// An answer, even a 4xx or 5xx, is the region's answer and is not retried elsewhere.
/// </summary>
public sealed class RegionFallbackHandler(IReadOnlyList<Uri> regions, TextWriter error) : DelegatingHandler
{
    private int _current;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var pathAndQuery = request.RequestUri!.PathAndQuery;
        for (var tried = 1; ; tried++)
        {
            var region = regions[_current];
            request.RequestUri = new Uri(region, pathAndQuery);
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (Exception e) when (tried < regions.Count && !cancellationToken.IsCancellationRequested && NeverConnected(e))
            {
                _current = (_current + 1) % regions.Count;
                await error.WriteLineAsync($"The {Name(region)} region ({region}) does not answer ({Reason(e)}); trying the {Name(regions[_current])} region ({regions[_current]}).");
            }
        }
    }

    private string Name(Uri region) => regions[0] == region ? "primary" : "standby";

    private static bool NeverConnected(Exception e) => e switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        HttpRequestException { InnerException: TimeoutException } or TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    private static string Reason(Exception e) =>
        e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : e.InnerException is TimeoutException ? "no connection within the connect timeout" : e.Message;
}
