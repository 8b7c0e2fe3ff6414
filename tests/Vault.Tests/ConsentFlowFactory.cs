extern alias consent;

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Infrastructure;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// The real consent service, on a database of its own; the vault beside it shares its broker virtual host and credentials,
/// and answers consent's calls (a guardian's code) over <paramref name="vault"/>, its in-memory server.
/// </summary>
public sealed class ConsentHost(DevCredentials credentials, Func<HttpMessageHandler> vault) : ServiceFactory<consent::Program>("consentdb", credentials: credentials)
{
    /// <summary>Everything the service logged, at every level.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    public override Task InitializeAsync()
    {
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.100";
        // Resolved by service discovery, then answered by the vault's in-memory server whatever the address.
        Settings["services:vault:http:0"] = "http://127.0.0.1:1";
        return base.InitializeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging =>
        {
            logging.AddProvider(new LineLoggerProvider(Logs.Enqueue, scopes: true));
            logging.AddFilter<LineLoggerProvider>(null, LogLevel.Trace);
        });
        builder.ConfigureTestServices(services => services
            .AddHttpClient(consent::PrivacySuite.Consent.Infrastructure.GuardianVerifier.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(vault));
    }
}

/// <summary>
/// The vault with the real consent service (issue 18): consent's API makes a change, its outbox publishes the event on
/// the one broker, and the vault's reads ask consent's check (over its in-memory server) when they hold no fresh decision.
/// <see cref="SecondInstance"/> is another vault instance on the same database, key folder and broker.
/// </summary>
public class ConsentFlowFactory : VaultFactory
{
    public ConsentHost RealConsent { get; private set; } = null!;

    public WebApplicationFactory<Program> SecondInstance { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        RealConsent = new ConsentHost(Credentials, () => Server.CreateHandler());
        await RealConsent.InitializeAsync();
        SharedBroker = RealConsent.BrokerConnectionString;
        await base.InitializeAsync();
        var settings = Services.GetRequiredService<IConfiguration>().AsEnumerable()
            .Where(kv => kv.Key.StartsWith("ConnectionStrings:", StringComparison.Ordinal) || kv.Key.StartsWith("PrivacySuite:", StringComparison.Ordinal)
                || kv.Key.StartsWith("Logging:", StringComparison.Ordinal) || kv.Key.StartsWith("services:", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        SecondInstance = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
            ToRealConsent(builder);
        });
        _ = SecondInstance.Server;
    }

    protected override void Configure(IDictionary<string, string?> settings) => settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.100";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        ToRealConsent(builder);
    }

    private void ToRealConsent(IWebHostBuilder builder) => builder.ConfigureTestServices(services => services
        .AddHttpClient(ConsentGate.HttpClientName)
        .ConfigurePrimaryHttpMessageHandler(() => RealConsent.Server.CreateHandler()));

    /// <summary>A product backend's client of the second vault instance.</summary>
    public HttpClient SecondBackend()
    {
        var client = SecondInstance.CreateClient();
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, Credentials.ProductBackendApiKey);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        if (SecondInstance is not null)
        {
            await SecondInstance.DisposeAsync();
        }

        await base.DisposeAsync();
        if (RealConsent is not null)
        {
            await RealConsent.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
