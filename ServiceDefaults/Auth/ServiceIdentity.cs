using System.Net.Http.Headers;

namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>
/// Calls between the suite's services: the caller signs a short-lived bearer token for itself with the suite's key
/// and the role <see cref="SuiteRoles.Service"/>, so a service never borrows a product backend's or a person's credentials.
/// </summary>
public static class ServiceIdentityExtensions
{
    public static IHttpClientBuilder AddServiceIdentity(this IHttpClientBuilder http) =>
        http.AddHttpMessageHandler(sp => new ServiceIdentityHandler(
            sp.GetRequiredService<IOptionsMonitor<SuiteAuthOptions>>(),
            sp.GetRequiredService<IConfiguration>()["OTEL_SERVICE_NAME"] ?? sp.GetRequiredService<IHostEnvironment>().ApplicationName,
            sp.GetRequiredService<TimeProvider>()));
}

internal sealed class ServiceIdentityHandler(IOptionsMonitor<SuiteAuthOptions> options, string serviceName, TimeProvider time) : DelegatingHandler
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private (string Token, DateTimeOffset RenewAt)? _current;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_current is not { } current || now >= current.RenewAt)
        {
            var key = AuthenticationExtensions.SigningKeyBytes(options.CurrentValue);
            if (key.Length == 0)
            {
                throw new InvalidOperationException("PrivacySuite:Auth:SigningKey is not set, so this service cannot call another one.");
            }

            current = (BearerTokens.Issue(key, serviceName, [SuiteRoles.Service], Lifetime, now), now + (Lifetime / 2));
            _current = current;
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", current.Token);
        return base.SendAsync(request, cancellationToken);
    }
}
