namespace PrivacySuite.ServiceDefaults.Http;

/// <summary>
/// Aspire's service discovery contract without its package (not available here): a request to <c>http://consent/...</c>
/// goes to the address in <c>services__consent__http__0</c> (configuration key <c>services:consent:http:0</c>).
/// </summary>
public static class ServiceDiscoveryExtensions
{
    public static TBuilder AddServiceDiscovery<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddTransient<ServiceDiscoveryHandler>();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler<ServiceDiscoveryHandler>());
        return builder;
    }

    /// <summary>Resolves a logical service name to its first HTTP endpoint, or null when configuration does not name it.</summary>
    public static Uri? ResolveServiceEndpoint(this IConfiguration configuration, string serviceName)
    {
        var endpoint = configuration[$"services:{serviceName}:http:0"] ?? configuration[$"services:{serviceName}:https:0"];
        return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
    }
}

public sealed class ServiceDiscoveryHandler(IConfiguration configuration) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { IsAbsoluteUri: true } uri && !uri.Host.Contains('.') &&
            configuration.ResolveServiceEndpoint(uri.Host) is { } resolved)
        {
            request.RequestUri = new UriBuilder(uri)
            {
                Scheme = resolved.Scheme,
                Host = resolved.Host,
                Port = resolved.Port,
            }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
