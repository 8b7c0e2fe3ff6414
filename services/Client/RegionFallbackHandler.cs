using System.Net.Sockets;

namespace PrivacySuite.Client;

/// <summary>When a request may go to the next region.</summary>
public enum RegionFallbackMode
{
    /// <summary>
    /// Any request, but only when its connection never opened (refused, unknown name, connect timeout): it never reached
    /// a service, so nothing happens twice. An answer, even a 4xx or 5xx, is the region's answer. The next requests stay
    /// with the region that answered. The <c>privacy</c> CLI's choice: the standby passes its writes to the primary.
    /// </summary>
    NeverConnected,

    /// <summary>
    /// Reads only (GET, HEAD): one that fails on the primary with a connection error or a 5xx is sent to the standby,
    /// which serves reads from its replica. Writes never move: the standby does not take them. Each read starts at the
    /// primary again. The SDK's choice.
    /// </summary>
    ReadsOnFailure,
}

/// <summary>A request that went to another region, and why (an error type or a status; never a body).</summary>
public sealed record RegionFallback(Uri From, Uri To, bool FromPrimary, string Reason);

/// <summary>
/// Sends each request to a region of <paramref name="regions"/> (the primary first, then the standby) and moves it to the
/// next one when <paramref name="mode"/> allows (<see cref="RegionFallbackMode"/>); <paramref name="onFallback"/> hears of
/// each move. Requests are relative to the region's address.
/// </summary>
public sealed class RegionFallbackHandler(IReadOnlyList<Uri> regions, RegionFallbackMode mode, Action<RegionFallback>? onFallback = null)
    : DelegatingHandler
{
    private int _current;

    public IReadOnlyList<Uri> Regions => regions;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var pathAndQuery = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.PathAndQuery : request.RequestUri.OriginalString;
        var index = mode == RegionFallbackMode.NeverConnected ? _current : 0;
        var read = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head;
        for (var tried = 1; ; tried++)
        {
            var region = regions[index];
            request.RequestUri = new Uri(region, pathAndQuery);
            var last = tried >= regions.Count || cancellationToken.IsCancellationRequested;
            string reason;
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                if (last || mode != RegionFallbackMode.ReadsOnFailure || !read || (int)response.StatusCode < 500)
                {
                    return response;
                }

                reason = $"{(int)response.StatusCode}";
                response.Dispose();
            }
            catch (Exception e) when (!last && Moves(e, read))
            {
                reason = Reason(e);
            }

            var next = (index + 1) % regions.Count;
            if (mode == RegionFallbackMode.NeverConnected)
            {
                _current = next;
            }

            onFallback?.Invoke(new RegionFallback(region, regions[next], index == 0, reason));
            index = next;
        }
    }

    private bool Moves(Exception e, bool read) => mode switch
    {
        RegionFallbackMode.NeverConnected => NeverConnected(e),
        _ => read && (e is HttpRequestException || NeverConnected(e)),
    };

    private static bool NeverConnected(Exception e) => e switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        HttpRequestException { InnerException: TimeoutException } or TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    private static string Reason(Exception e) =>
        e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString()
        : e.InnerException is TimeoutException ? "no connection within the connect timeout"
        : e is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } h ? h.HttpRequestError.ToString()
        : e.GetType().Name;
}
