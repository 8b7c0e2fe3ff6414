using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using PrivacySuite.AppHost.Hosting;
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
        "operations", "privacy-centre",
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

    /// <summary>How the primary's cluster replicates to the standby (sync, sync-waiting, async), as the dashboard shows it.</summary>
    public string? ReplicationMode => Property($"postgres-{Primary}", "replication.mode");

    /// <summary>
    /// Boots the topology and waits until every resource is Running and Healthy, all within <paramref name="timeout"/>.
    /// On failure the topology is stopped again and the exception says which resources were not healthy, with the last
    /// lines of their console logs: a run on another machine can only be read back from that.
    /// </summary>
    public static async Task<RunningSuite> StartAsync(string stateDir, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PrivacySuite_AppHost>(
            [$"--PrivacySuite:StateDir={stateDir}", "--PrivacySuite:RandomPorts=true"], deadline.Token);
        // The resources' own output and the health probes stay in the console logs; the caller sees the AppHost's
        // warnings and the regions' steps.
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter("PrivacySuite.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("PrivacySuite.AppHost.Regions", LogLevel.Information));
        // Under test there is no dashboard, so no telemetry collector: a service would spend its whole stop (about 10 s)
        // retrying to export its last telemetry, and Aspire reports a stop that takes over 15 s as failed.
        // ServiceDefaults.Tests test the telemetry itself.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment("OTEL_SDK_DISABLED", "true");
        }

        var app = await builder.BuildAsync(deadline.Token);
        KeepConsoleLogs(app);
        var suite = new RunningSuite(app, stateDir, TimeSpan.Zero);
        try
        {
            await app.StartAsync(deadline.Token);
            await suite.WaitUntilHealthyAsync(timeout - clock.Elapsed, startExited: true, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            var report = await suite.UnhealthyReportAsync();
            // Nobody else holds the application to stop it: its processes would run until the test host ends.
            await suite.DisposeAsync();
            throw new TimeoutException($"The topology was not Running and Healthy {clock.Elapsed.TotalSeconds:0} s after the start " +
                                       $"(allowed: {timeout.TotalSeconds:0} s).{Environment.NewLine}{report}", e);
        }
        catch
        {
            await suite.DisposeAsync();
            throw;
        }

        return new RunningSuite(app, stateDir, clock.Elapsed);
    }

    /// <summary>
    /// Waits until every resource is Running and Healthy and the standby streams synchronously again (the topology as
    /// a test found it); the exception names what is not. It polls rather than waits on Aspire's health event: a
    /// cluster the coordinator rebuilds after a failover may show FailedToStart once before it comes up.
    /// </summary>
    public Task AllHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitUntilHealthyAsync(timeout, startExited: false, cancellationToken);

    private async Task WaitUntilHealthyAsync(TimeSpan timeout, bool startExited, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var restarted = new HashSet<string>();
        while (!(ResourceNames.All(IsHealthy) && ReplicationMode == "sync"))
        {
            // Aspire does not restart a service that exited (the hand-written orchestrator did); one that exits while
            // the topology comes up is started once more, as an operator would, and the restart is reported. Only
            // then: later, a cluster that is not running may be one the region coordinator is rebuilding.
            foreach (var name in ResourceNames.Where(n => startExited && State(n) is "Finished" or "Exited" && restarted.Add(n)).ToList())
            {
                Console.WriteLine($"{name} exited while the topology came up; starting it again");
                await CommandAsync(name, "start", cancellationToken);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not every resource became Running and Healthy with the standby streaming within {timeout.TotalSeconds:0} s: " +
                                           string.Join(", ", ResourceNames.Where(n => !IsHealthy(n)).Select(n => $"{n} {State(n)}")
                                               .Append($"replication from postgres-{Primary} {ReplicationMode ?? "unknown"}")));
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
        _ = Task.Run(async () =>
        {
            // Logs are kept under each orchestrator instance's id (consent-beijing-abcdefgh), known once it exists.
            var watched = new HashSet<string>();
            await foreach (var update in app.ResourceNotifications.WatchAsync())
            {
                if (ResourceNames.Contains(update.Resource.Name) && watched.Add(update.ResourceId))
                {
                    var path = Path.Combine(directory, $"{update.ResourceId}-{Environment.ProcessId}.log");
                    _ = Task.Run(async () =>
                    {
                        await foreach (var batch in logs.WatchAsync(update.ResourceId))
                        {
                            await File.AppendAllLinesAsync(path, batch.Select(l => l.Content));
                        }
                    });
                }
            }
        });
    }

    /// <summary>Each resource that is not Running and Healthy, its state, and the last lines of its console log.</summary>
    private async Task<string> UnhealthyReportAsync()
    {
        var report = new System.Text.StringBuilder();
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var name in ResourceNames.Where(n => !IsHealthy(n)))
        {
            report.AppendLine($"{name}: {State(name) ?? "no state"}, health {Health(name)}; last lines of its console log:");
            if (!App.ResourceNotifications.TryGetCurrentState(name, out var current))
            {
                continue;
            }

            var lines = new List<string>();
            try
            {
                using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await foreach (var batch in logs.GetAllAsync(current.ResourceId).WithCancellation(enough.Token))
                {
                    lines.AddRange(batch.Select(l => l.Content));
                }
            }
            catch (OperationCanceledException)
            {
                lines.Add("(the log could not be read within 5 s)");
            }

            foreach (var line in lines.TakeLast(15))
            {
                report.AppendLine($"    {line}");
            }
        }

        return report.ToString();
    }

    private string Health(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var e) ? e.Snapshot.HealthStatus?.ToString() ?? "unknown" : "unknown";

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

    /// <summary>A client of a service's HTTP API, signed in as an on-call engineer of the development credentials.</summary>
    public HttpClient OnCall(string resource)
    {
        var client = new HttpClient { BaseAddress = Endpoint(resource), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Credentials.IssueToken("drill-on-call", [SuiteRoles.OnCall], TimeSpan.FromHours(1)));
        return client;
    }

    /// <summary>The superuser connection string of a region's cluster, for one database.</summary>
    public async Task<string> DatabaseAsync(string region, string database = "postgres") =>
        await App.GetConnectionStringAsync($"postgres-{region}") + $";Database={database};Pooling=false";

    /// <summary>Runs a resource command as the dashboard's button would (the confirmation is the caller's).</summary>
    /// <remarks>Bounded (3 minutes, a failover's rebuild included), so that a command that never answers fails its test.</remarks>
    public async Task<ExecuteCommandResult> CommandAsync(string resource, string command, CancellationToken cancellationToken = default)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromMinutes(3));
        return await App.ResourceCommands.ExecuteCommandAsync(resource, command, bounded.Token);
    }

    /// <summary>Stops the AppHost as Ctrl-C would; throws when it has not stopped within <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using var bounded = new CancellationTokenSource(timeout);
        await App.StopAsync(bounded.Token).WaitAsync(timeout);
    }

    /// <summary>
    /// Stops the AppHost, and if it does not stop within 90 s, kills what it started (every process that carries this
    /// suite's state folder): a stop that hangs must fail one test, not hold the whole run until its time limit.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(90));
            await App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            var killed = KillProcessesOfStateFolder();
            Console.Error.WriteLine($"The AppHost did not stop within its time ({e.GetType().Name}); killed {killed} processes of {StateDir}.");
        }
    }

    /// <summary>SIGKILL to every process whose command line or environment names the state folder (clusters, brokers, MailDev, services).</summary>
    private int KillProcessesOfStateFolder()
    {
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(StateDir, StringComparison.Ordinal) ||
                    File.ReadAllText(Path.Combine(dir, "environ")).Contains(StateDir, StringComparison.Ordinal))
                {
                    ProcessTree.Kill(pid);
                    killed++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return killed;
    }
}
