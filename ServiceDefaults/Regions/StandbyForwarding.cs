using System.Net;
using Microsoft.AspNetCore.Http.Features;
using PrivacySuite.ServiceDefaults.Domain;

namespace PrivacySuite.ServiceDefaults.Regions;

/// <summary>Endpoint metadata: where a request is served while this region is the standby.</summary>
public sealed record RegionRouting(bool ServedByStandby);

public static class RegionRoutingExtensions
{
    /// <summary>A GET that writes (an access-log entry, a claim): served by the primary region even when asked in the standby.</summary>
    public static TBuilder ServedByPrimaryRegion<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RegionRouting(ServedByStandby: false));

    /// <summary>A POST that only reads: the standby answers it from its replica.</summary>
    public static TBuilder ServedByEitherRegion<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RegionRouting(ServedByStandby: true));
}

/// <summary>
/// In the standby region, reads are answered from the local replica and writes are passed to the same service in the
/// primary region, unchanged (the caller's credentials included), and its answer is passed back. Only one hop: a
/// forwarded request that lands on another standby is refused, so two standbys cannot bounce a request between them.
/// </summary>
public sealed partial class StandbyForwarding(
    RequestDelegate next, RegionRole role, IConfiguration configuration, IHttpClientFactory clients, ILogger<StandbyForwarding> logger)
{
    public const string ForwardedFromHeader = "X-PrivacySuite-Forwarded-From";

    /// <summary>The named HttpClient that reaches the primary region (<c>http://peer</c>, found by service discovery).</summary>
    public const string PrimaryClientName = "primary-region";

    /// <summary>
    /// The client to the primary region: service discovery as every client has it, but without the standard resilience
    /// handler: a write must not be sent twice because an answer was slow, and the caller decides whether to retry.
    /// </summary>
#pragma warning disable EXTEXP0001 // marked experimental, but it is the package's one way to opt a client out of the defaults
    internal static void AddPrimaryRegionClient(IServiceCollection services) => services
        .AddHttpClient(PrimaryClientName, c =>
        {
            c.BaseAddress = new Uri($"http://{RegionRole.PeerServiceName}");
            c.Timeout = TimeSpan.FromSeconds(30);
        })
        .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            AllowAutoRedirect = false,
            UseCookies = false,
        })
        .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authorization", "Proxy-Authenticate", "Host",
    };

    public async Task InvokeAsync(HttpContext context)
    {
        if (!role.IsStandby || !ShouldForward(context))
        {
            await next(context);
            return;
        }

        if (context.Request.Headers.ContainsKey(ForwardedFromHeader))
        {
            await Problem(context, "Both regions are standbys",
                "This request was forwarded by the other region, which is also a standby. No region accepts writes until one is promoted (privacy region failover).");
            return;
        }

        if (!configuration.HasServiceEndpoint(RegionRole.PeerServiceName))
        {
            await Problem(context, "This region is a standby",
                "It serves reads only, and no primary region is configured (services__peer__http__0). Send writes to the primary region.");
            return;
        }

        var primary = clients.CreateClient(PrimaryClientName);
        using var request = CopyRequest(context, primary.BaseAddress!);
        HttpResponseMessage response;
        try
        {
            response = await primary.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            LogPrimaryUnreachable(logger, e.GetType().Name);
            await Problem(context, "The primary region cannot be reached",
                "This region is a standby and passes writes to the primary, which did not answer. Nothing was written. Retry later, or fail over to this region (privacy region failover).");
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(header.Key))
                {
                    context.Response.Headers[header.Key] = header.Value.ToArray();
                }
            }

            context.Response.Headers[ForwardedFromHeader] = role.Region;
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    /// <summary>Writes go to the primary; reads stay, unless the endpoint says otherwise. Unknown routes stay (they answer 404).</summary>
    private static bool ShouldForward(HttpContext context)
    {
        if (context.GetEndpoint() is not { } endpoint)
        {
            return false;
        }

        if (endpoint.Metadata.GetMetadata<RegionRouting>() is { } routing)
        {
            return !routing.ServedByStandby;
        }

        return !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method));
    }

    private HttpRequestMessage CopyRequest(HttpContext context, Uri peer)
    {
        var incoming = context.Request;
        var target = new Uri(peer, incoming.PathBase.Add(incoming.Path) + incoming.QueryString.ToUriComponent());
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), target);
        var hasBody = incoming.ContentLength > 0 || context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
        if (hasBody)
        {
            request.Content = new StreamContent(incoming.Body);
        }

        foreach (var header in incoming.Headers)
        {
            if (HopByHop.Contains(header.Key))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }
        }

        request.Headers.TryAddWithoutValidation(ForwardedFromHeader, role.Region);
        request.Version = HttpVersion.Version11;
        return request;
    }

    private static Task Problem(HttpContext context, string title, string detail) =>
        new Refusal(StatusCodes.Status503ServiceUnavailable, detail, Title: title).ToProblem().ExecuteAsync(context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write could not be passed to the primary region ({ErrorType}); the caller got 503")]
    private static partial void LogPrimaryUnreachable(ILogger logger, string errorType);
}
