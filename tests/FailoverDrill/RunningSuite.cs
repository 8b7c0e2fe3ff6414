using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.FailoverDrill;

/// <summary>
/// The real AppHost booted through Aspire.Hosting.Testing (its own Program and topology, every port free, state in a
/// folder of the caller's), with what drills and suite tests ask of it: endpoints, region roles, commands, health.
/// </summary>
public sealed class RunningSuite : IAsyncDisposable
{
    public static readonly string[] Regions = ["beijing", "guangzhou"];

    public static readonly string[] ResourceNames =
    [
        "rabbitmq-beijing", "rabbitmq-guangzhou", "postgres-beijing", "postgres-guangzhou", "maildev-beijing", "maildev-guangzhou",
        "consent-beijing", "vault-beijing", "retention-beijing", "incidents-beijing", "notifications-beijing",
        "consent-guangzhou", "vault-guangzhou", "retention-guangzhou", "incidents-guangzhou", "notifications-guangzhou",
        "operations",
    ];

    private RunningSuite(DistributedApplication app, string stateDir, TimeSpan timeToHealthy)
    {
        App = app;
        StateDir = stateDir;
        TimeToHealthy = timeToHealthy;
    }

    public DistributedApplication App { get; }

    public string StateDir { get; }

    public TimeSpan TimeToHealthy { get; }

    public DevCredentials Credentials => DevCredentials.LoadOrCreate(StateDir);

    /// <summary>The region whose database takes writes, as the AppHost recorded it in the state folder.</summary>
    public string Primary => new RegionRoles(StateDir, "beijing").Primary;

    public string Standby => Regions.First(r => r != Primary);

    public static async Task<RunningSuite> StartAsync(string stateDir, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PrivacySuite_AppHost>(
            [$"--PrivacySuite:StateDir={stateDir}", "--PrivacySuite:RandomPorts=true"], cancellationToken);
        // The resources' own output and the health probes stay in the console logs; the caller sees the AppHost's
        // warnings and the regions' steps.
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter("PrivacySuite.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("PrivacySuite.AppHost.Regions", LogLevel.Information));
        var app = await builder.BuildAsync(cancellationToken);
        KeepConsoleLogs(app);
        await app.StartAsync(cancellationToken);
        var suite = new RunningSuite(app, stateDir, TimeSpan.Zero);
        try
        {
            await suite.AllHealthyAsync(timeout, cancellationToken);
        }
        catch
        {
            // Nobody else holds the application to stop it: its processes would run until the test host ends.
            await suite.DisposeAsync();
            throw;
        }

        return new RunningSuite(app, stateDir, clock.Elapsed);
    }

    /// <summary>
    /// Waits until every resource is Running and Healthy; the exception names those that are not. It polls rather than
    /// waits on Aspire's health event: a cluster restarted by a failover may show FailedToStart once before it comes up.
    /// </summary>
    public async Task AllHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var restarted = new HashSet<string>();
        while (!ResourceNames.All(IsHealthy))
        {
            // Aspire does not restart a service that exited (the hand-written orchestrator did); one that exits while
            // the topology comes up is started once more, as an operator would, and the restart is reported.
            foreach (var name in ResourceNames.Where(n => State(n) is "Finished" or "Exited" && restarted.Add(n)).ToList())
            {
                Console.WriteLine($"{name} exited while the topology came up; starting it again");
                await CommandAsync(name, "start", cancellationToken);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not every resource became Running and Healthy within {timeout.TotalSeconds:0} s: " +
                                           string.Join(", ", ResourceNames.Where(n => !IsHealthy(n)).Select(n => $"{n} {State(n)}")));
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>
    /// With PRIVACYSUITE_TEST_LOGS=DIR (as for the other test fixtures), every resource's console log is kept in
    /// DIR/NAME-PID.log, so a failing run can be read back; otherwise it stays in memory, as the dashboard would show it.
    /// </summary>
    private static void KeepConsoleLogs(DistributedApplication app)
    {
        if (Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_LOGS") is not { Length: > 0 } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var name in ResourceNames)
        {
            var path = Path.Combine(directory, $"{name}-{Environment.ProcessId}.log");
            _ = Task.Run(async () =>
            {
                await foreach (var batch in logs.WatchAsync(name))
                {
                    await File.AppendAllLinesAsync(path, batch.Select(l => l.Content));
                }
            });
        }
    }

    public string? State(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var e) ? e.Snapshot.State?.Text : null;

    public bool IsHealthy(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var e) && e.Snapshot.State?.Text == KnownResourceStates.Running &&
        e.Snapshot.HealthStatus == HealthStatus.Healthy;

    /// <summary>A property the AppHost shows on a resource in the dashboard (replication.mode, region.role, …).</summary>
    public string? Property(string resource, string name) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var e)
            ? e.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString()
            : null;

    public Uri Endpoint(string resource, string endpoint = "http") => App.GetEndpoint(resource, endpoint);

    /// <summary>A client of a service's HTTP API, authenticated as the development product backend.</summary>
    public HttpClient ProductBackend(string resource)
    {
        var client = new HttpClient { BaseAddress = Endpoint(resource), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, Credentials.ProductBackendApiKey);
        return client;
    }

    /// <summary>The superuser connection string of a region's cluster, for one database.</summary>
    public async Task<string> DatabaseAsync(string region, string database = "postgres") =>
        await App.GetConnectionStringAsync($"postgres-{region}") + $";Database={database};Pooling=false";

    /// <summary>Runs a resource command as the dashboard's button would (the confirmation is the caller's).</summary>
    public async Task<ExecuteCommandResult> CommandAsync(string resource, string command, CancellationToken cancellationToken = default) =>
        await App.ResourceCommands.ExecuteCommandAsync(resource, command, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
