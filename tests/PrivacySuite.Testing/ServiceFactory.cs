using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using PrivacySuite.ServiceDefaults.Auth;

using Xunit;

namespace PrivacySuite.Testing;

/// <summary>
/// One service under test, in-process, on a database and a virtual host of its own in the shared real infrastructure.
/// Configuration arrives under the same keys the AppHost sets (Aspire's contract), so this is how the service runs.
/// </summary>
public class ServiceFactory<TProgram> : WebApplicationFactory<TProgram>, IAsyncLifetime
    where TProgram : class
{
    private readonly Dictionary<string, string?> _settings = [];
    private readonly SemaphoreSlim _testBusStart = new(1, 1);
    private IBusControl? _testBus;

    /// <param name="databaseName">Prefix of the service's own database.</param>
    /// <param name="region">The region the service runs in.</param>
    /// <param name="credentials">
    /// Signing key and API key to accept; another factory's, when services under test call each other (a service token
    /// one signs must validate at the other). Fresh ones when null.
    /// </param>
    public ServiceFactory(string databaseName, string region = "beijing", DevCredentials? credentials = null)
    {
        DatabaseName = databaseName;
        Region = region;
        Credentials = credentials ?? DevCredentials.Generate();
    }

    public string DatabaseName { get; }

    public string Region { get; }

    public DevCredentials Credentials { get; }

    public SuiteInfrastructure Infrastructure { get; private set; } = null!;

    /// <summary>The superuser's connection to the service's database, for the test's own checks (the service connects as the owner).</summary>
    public string DatabaseConnectionString { get; private set; } = "";

    /// <summary>
    /// The broker administrator's connection to the service's virtual host, for the test's own buses, which publish and
    /// observe other services' events (the service connects as a user of its own, as under the AppHost).
    /// </summary>
    public string BrokerConnectionString { get; private set; } = "";

    /// <summary>
    /// Another factory's <see cref="BrokerConnectionString"/>, set before start, to put this service on that virtual
    /// host: one broker between the services of a test.
    /// </summary>
    protected string? SharedBroker { get; set; }

    /// <summary>
    /// A bus of the test's own on the service's virtual host, as the broker's administrator, started on first use: it
    /// publishes what other services would (their outbox relays), and probes what the service publishes. The service's
    /// own bus may do neither: its user may publish only the service's own events.
    /// </summary>
    public async Task<IBus> TestBusAsync()
    {
        await _testBusStart.WaitAsync();
        try
        {
            if (_testBus is null)
            {
                var address = RabbitMqAddressOf(BrokerConnectionString);
                var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                }));
                await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
                _testBus = bus;
            }

            return _testBus;
        }
        finally
        {
            _testBusStart.Release();
        }
    }

    /// <summary>The service's name (its queues' prefix and its broker user's permissions): PrivacySuite.Consent is <c>consent</c>.</summary>
    public string ServiceName => typeof(TProgram).Assembly.GetName().Name!.Split('.').Last().ToLowerInvariant();

    /// <summary>Settings a test class adds before the host starts (feature switches, a moved clock, endpoints of other services).</summary>
    protected IDictionary<string, string?> Settings => _settings;

    public virtual async Task InitializeAsync()
    {
        Infrastructure = await SuiteInfrastructure.GetAsync();
        // The service runs as its database's owner, as under the AppHost, so a migration that needs more fails here.
        (var ownerConnectionString, DatabaseConnectionString) = await Infrastructure.CreateOwnedDatabaseAsync(DatabaseName);
        _settings[$"ConnectionStrings:{DatabaseName}"] = ownerConnectionString;
        BrokerConnectionString = SharedBroker ?? await Infrastructure.CreateVirtualHostAsync(DatabaseName);
        _settings["ConnectionStrings:rabbitmq"] = await Infrastructure.CreateServiceUserAsync(BrokerConnectionString, ServiceName);
        _settings["PrivacySuite:Region"] = Region;
        _settings["Logging:LogLevel:Default"] = "Warning";
        // Tests send many requests as one person from one address; RateLimitTests set the limits they test.
        _settings.TryAdd("PrivacySuite:RateLimits:PersonRequestsPerMinute", "1000000");
        _settings.TryAdd("PrivacySuite:RateLimits:VerificationsPerSubject", "1000000");
        _settings.TryAdd("PrivacySuite:RateLimits:LookupsPerMinute", "1000000");
        foreach (var (key, value) in Credentials.ToEnvironment())
        {
            _settings[key.Replace("__", ":")] = value;
        }

        StartServer(); // starts the host (test server or Kestrel): migrations run and the bus connects before the first test
    }

    /// <summary>A client authenticated as a product backend (X-Api-Key).</summary>
    public HttpClient CreateProductBackendClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, Credentials.ProductBackendApiKey);
        return client;
    }

    /// <summary>
    /// A client authenticated with a bearer token: a person's with <paramref name="role"/>, or for
    /// <see cref="SuiteRoles.Service"/> the service token another service named <paramref name="subject"/> would sign.
    /// </summary>
    public HttpClient CreateClientFor(string role, string subject = "test-person")
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            role == SuiteRoles.Service ? Credentials.IssueServiceToken(subject) : Credentials.IssueToken(subject, [role]));
        return client;
    }

    /// <summary>
    /// A client with the token the privacy centre mints for <paramref name="subjectId"/> when they sign in there, or, with
    /// <paramref name="actor"/>, when that guardian acts for them.
    /// </summary>
    public HttpClient CreatePrivacyCentreClient(string subjectId, string? actor = null)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Credentials.IssuePrivacyCentreToken(subjectId, actor: actor));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
    }

    public override async ValueTask DisposeAsync()
    {
        if (_testBus is not null)
        {
            await _testBus.StopAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    private static PrivacySuite.ServiceDefaults.Messaging.RabbitMqAddress RabbitMqAddressOf(string connectionString) =>
        PrivacySuite.ServiceDefaults.Messaging.RabbitMqAddress.TryParse(connectionString, out var address)
            ? address
            : throw new InvalidOperationException("The test's RabbitMQ address does not parse.");
}

public static class ServiceFactoryExtensions
{
    /// <summary>The migration ids recorded in the service's database.</summary>
    public static async Task<IReadOnlyList<string>> AppliedMigrationsAsync<TProgram>(this ServiceFactory<TProgram> factory)
        where TProgram : class
    {
        await using var connection = new Npgsql.NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select id from schema_migrations order by id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
