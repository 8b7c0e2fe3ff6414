using System.Security.Cryptography;
using PrivacySuite.AppHost.Hosting;

namespace PrivacySuite.Testing;

/// <summary>
/// Real PostgreSQL and RabbitMQ for tests, started once per test process through the AppHost's own hosting code,
/// on free ports, with state under a temporary folder that is removed when the process ends. Test classes ask for
/// an isolated database and virtual host of their own.
/// </summary>
public sealed class SuiteInfrastructure
{
    /// <summary>Set to 1 to keep PostgreSQL's durable defaults (benchmarks); tests run with fsync off.</summary>
    public const string DurablePostgresVariable = "PRIVACYSUITE_DURABLE_POSTGRES";

    private static readonly Lazy<Task<SuiteInfrastructure>> Shared = new(StartSharedAsync);
    private static int _counter;

    private SuiteInfrastructure(string stateDir, PostgresServer postgres, RabbitMqServer rabbitMq)
    {
        StateDir = stateDir;
        Postgres = postgres;
        RabbitMq = rabbitMq;
    }

    public string StateDir { get; }

    public PostgresServer Postgres { get; }

    public RabbitMqServer RabbitMq { get; }

    public static Task<SuiteInfrastructure> GetAsync() => Shared.Value;

    /// <summary>A fresh, empty database for one test class.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = UniqueName(prefix);
        await Postgres.CreateDatabaseAsync(name);
        return Postgres.ConnectionString(name);
    }

    /// <summary>
    /// A fresh database owned by a login role of its own, as the AppHost gives each service: the service connects with
    /// <c>Owner</c>; <c>Admin</c> is the superuser's view for the test's own checks.
    /// </summary>
    public async Task<(string Owner, string Admin)> CreateOwnedDatabaseAsync(string prefix)
    {
        var name = UniqueName(prefix);
        return (await Postgres.CreateOwnedDatabaseAsync(name, name, RandomSecret()), Postgres.ConnectionString(name));
    }

    /// <summary>A fresh virtual host for one test class, so hosts in parallel classes never share a queue.</summary>
    public async Task<string> CreateVirtualHostAsync(string prefix)
    {
        var name = UniqueName(prefix);
        await RabbitMq.CreateVirtualHostAsync(name);
        return RabbitMq.ConnectionString(name);
    }

    /// <summary>
    /// A user on the virtual host of <paramref name="brokerConnectionString"/> (an administrator's, from
    /// <see cref="CreateVirtualHostAsync"/>) with the permissions the AppHost gives <paramref name="service"/>, as its
    /// connection string. User names are unique per call: users are global to the node and test classes run in parallel.
    /// </summary>
    public async Task<string> CreateServiceUserAsync(string brokerConnectionString, string service)
    {
        var virtualHost = Uri.UnescapeDataString(new Uri(brokerConnectionString).AbsolutePath.TrimStart('/'));
        return await RabbitMq.CreateUserAsync(UniqueName(service), RandomSecret(), BrokerPermissions.For(service), virtualHost.Length == 0 ? "/" : virtualHost);
    }

    /// <summary>A RabbitMQ node of the test's own, for tests that stop and start the broker.</summary>
    public static async Task<RabbitMqServer> StartDedicatedRabbitMqAsync(string name)
    {
        var stateDir = NewStateDir();
        var server = new RabbitMqServer(RabbitMqOptions(name, stateDir), TestOutput.Sink(name));
        await server.StartAsync(CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Cleanup(stateDir, () => server.KillAsync());
        return server;
    }

    public static RabbitMqServerOptions RabbitMqOptions(string name, string stateDir) =>
        new(name, stateDir, Ports.GetFree(), Ports.GetFree(), Ports.GetFree(), Ports.GetFree(), "suite", RandomSecret());

    private static async Task<SuiteInfrastructure> StartSharedAsync()
    {
        var stateDir = NewStateDir();
        var postgres = new PostgresServer(
            new PostgresServerOptions("postgres-test", stateDir, Ports.GetFree(), RandomSecret())
            {
                Durable = Environment.GetEnvironmentVariable(DurablePostgresVariable) == "1",
            },
            TestOutput.Sink("postgres-test"));
        var rabbitMq = new RabbitMqServer(RabbitMqOptions("rabbitmq-test", stateDir), TestOutput.Sink("rabbitmq-test"));

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Cleanup(stateDir, async () =>
        {
            await Task.WhenAll(postgres.KillAsync(), rabbitMq.KillAsync());
        });
        await Task.WhenAll(postgres.StartAsync(CancellationToken.None), rabbitMq.StartAsync(CancellationToken.None));
        return new SuiteInfrastructure(stateDir, postgres, rabbitMq);
    }

    internal static string NewStateDir()
    {
        // Under /tmp so that the postgres user can reach it. eng/test.sh gives each run a root of its own
        // (PRIVACYSUITE_TEST_ROOT) and removes what a crashed test host left there, without touching other runs.
        var root = Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } r ? r : Path.Combine(Path.GetTempPath(), "privacysuite-tests");
        var dir = Path.Combine(root, $"{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void Cleanup(string stateDir, Func<Task> stop)
    {
        try
        {
            stop().Wait(TimeSpan.FromSeconds(20));
            Directory.Delete(stateDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AggregateException)
        {
            // Best effort at process exit; eng/test.sh sweeps what is left.
        }
    }

    private static string UniqueName(string prefix) =>
        $"{new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Interlocked.Increment(ref _counter)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    private static string RandomSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
