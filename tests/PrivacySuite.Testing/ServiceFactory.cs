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

    /// <summary>Settings a test class adds before the host starts (feature switches, a moved clock, endpoints of other services).</summary>
    protected IDictionary<string, string?> Settings => _settings;

    public virtual async Task InitializeAsync()
    {
        Infrastructure = await SuiteInfrastructure.GetAsync();
        // The service runs as its database's owner, as under the AppHost, so a migration that needs more fails here.
        (var ownerConnectionString, DatabaseConnectionString) = await Infrastructure.CreateOwnedDatabaseAsync(DatabaseName);
        _settings[$"ConnectionStrings:{DatabaseName}"] = ownerConnectionString;
        _settings["ConnectionStrings:rabbitmq"] = await Infrastructure.CreateVirtualHostAsync(DatabaseName);
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

        _ = Server; // starts the host: migrations run and the bus connects before the first test
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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
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
