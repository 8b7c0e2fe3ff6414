using System.Net.Http.Headers;

namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>
/// Calls between the suite's services: the caller signs a short-lived ES256 token for itself with its service key
/// (<c>PrivacySuite:Auth:SigningKey</c>), issuer <see cref="SuiteAuthOptions.ServiceIssuer"/> and the role
/// <see cref="SuiteRoles.Service"/>. The receiver accepts such a token as a service and never as a person, so a service
/// neither borrows a product backend's or a person's credentials nor can mint them.
/// </summary>
public static class ServiceIdentityExtensions
{
    public static IHttpClientBuilder AddServiceIdentity(this IHttpClientBuilder http) =>
        http.AddHttpMessageHandler(sp => new ServiceIdentityHandler(
            sp.GetRequiredService<SuiteCredentials>(),
            sp.GetRequiredService<IConfiguration>()["OTEL_SERVICE_NAME"] ?? sp.GetRequiredService<IHostEnvironment>().ApplicationName,
            sp.GetRequiredService<TimeProvider>()));
}

internal sealed class ServiceIdentityHandler(SuiteCredentials credentials, string serviceName, TimeProvider time) : DelegatingHandler
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private (string Token, DateTimeOffset RenewAt)? _current;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_current is not { } current || now >= current.RenewAt)
        {
            var key = credentials.ServiceSigningKey
                ?? throw new InvalidOperationException("PrivacySuite:Auth:SigningKey is not set, so this service cannot call another one.");
            current = (SuiteTokens.Issue(key, SuiteAuthOptions.ServiceIssuer, credentials.Audience, serviceName, [SuiteRoles.Service], now, Lifetime),
                now + (Lifetime / 2));
            _current = current;
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", current.Token);
        return base.SendAsync(request, cancellationToken);
    }
}
