using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// Another replica of the consent service, on the same database and broker virtual host as <paramref name="first"/>:
/// what a second instance (or the same one after a restart) sees.
/// </summary>
public sealed class ReplicaOf(ConsentFactory first) : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings = first.Services.GetRequiredService<IConfiguration>().AsEnumerable()
        .Where(kv => kv.Key.StartsWith("ConnectionStrings:", StringComparison.Ordinal) || kv.Key.StartsWith("PrivacySuite:", StringComparison.Ordinal)
            || kv.Key.StartsWith("Logging:", StringComparison.Ordinal))
        .ToDictionary(kv => kv.Key, kv => kv.Value);

    public HttpClient CreateProductBackendClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, first.Credentials.ProductBackendApiKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
    }
}
