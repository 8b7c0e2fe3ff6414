using System.Diagnostics;
using System.Reflection;
using PrivacySuite.AppHost.Hosting.Model;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PrivacySuite.Suite.Tests;

/// <summary>
/// The whole topology, booted once per test class through the AppHost's own Program (as Aspire.Hosting.Testing does),
/// with every port chosen free and the state in a temporary folder.
/// </summary>
public sealed class SuiteFixture : IAsyncLifetime
{
    public static readonly string[] ResourceNames =
    [
        "rabbitmq-beijing", "rabbitmq-guangzhou", "postgres-beijing", "postgres-guangzhou", "maildev-beijing", "maildev-guangzhou",
        "consent-beijing", "vault-beijing", "retention-beijing", "incidents-beijing", "notifications-beijing",
        "consent-guangzhou", "vault-guangzhou", "retention-guangzhou", "incidents-guangzhou", "notifications-guangzhou",
    ];

    private static int _counter;
    private readonly Action<string> _output = TestOutput.Sink("apphost");
    private Task<int>? _entryPoint;

    public DistributedApplication App { get; private set; } = null!;

    public string StateDir { get; } = NewStateDir();

    public TimeSpan TimeToHealthy { get; private set; }

    public Task<int> EntryPoint => _entryPoint!;

    public HttpClient Dashboard { get; private set; } = null!;

    public static Assembly AppHostAssembly => Assembly.Load("PrivacySuite.AppHost");

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        (App, _entryPoint) = await DistributedApplicationFactory.StartAsync(
            AppHostAssembly, ["--state-dir", StateDir, "--random-ports"], _output, TimeSpan.FromSeconds(60));
        Dashboard = new HttpClient { BaseAddress = new Uri(App.Dashboard.Url), Timeout = TimeSpan.FromSeconds(10) };
        if (!await HealthyBeforeExitAsync(App, _entryPoint, TimeSpan.FromSeconds(150)))
        {
            var notReady = string.Join(", ", App.Resources.Where(r => !r.IsReady).Select(r => $"{r.Name} {r.State}/{r.Health}"));
            throw new TimeoutException($"Not every resource became Running and Healthy within 150 s: {notReady}");
        }

        TimeToHealthy = clock.Elapsed;
    }

    /// <summary>True once all are Running and Healthy; false on timeout, or at once if the AppHost exited (a start-up error).</summary>
    public static async Task<bool> HealthyBeforeExitAsync(DistributedApplication app, Task<int> entryPoint, TimeSpan timeout)
    {
        var healthy = app.WaitForAllHealthyAsync(timeout);
        return await Task.WhenAny(healthy, entryPoint) == healthy && await healthy;
    }

    public HttpClient AuthenticatedDashboard()
    {
        var client = new HttpClient { BaseAddress = new Uri(App.Dashboard.Url), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", App.Dashboard.BrowserToken);
        return client;
    }

    /// <summary>Waits until every resource is Running and Healthy again (tests leave the topology as they found it).</summary>
    public Task AllHealthyAsync() =>
        Eventually.HoldsAsync(() => Task.FromResult(App.Resources.All(r => r.IsReady)), TimeSpan.FromSeconds(90), "every resource Running and Healthy");

    public async Task DisposeAsync()
    {
        Dashboard?.Dispose();
        if (App is not null)
        {
            await App.StopAsync();
            await _entryPoint!.WaitAsync(TimeSpan.FromSeconds(60));
        }

        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
            // eng/test.sh sweeps its run's root.
        }
    }

    private static string NewStateDir()
    {
        // Under /tmp, so that the postgres user can reach it; eng/test.sh gives each run a root of its own.
        var root = Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } r ? r : Path.Combine(Path.GetTempPath(), "privacysuite-tests");
        var dir = Path.Combine(root, $"{Environment.ProcessId}-suite-{Interlocked.Increment(ref _counter)}");
        Directory.CreateDirectory(root);
        return dir;
    }
}

/// <summary>What runs on this machine, read from /proc: to prove that nothing outlives the AppHost.</summary>
public static class ProcessTable
{
    public sealed record Entry(int Pid, int ProcessGroup, string CommandLine);

    public static IReadOnlyList<Entry> Snapshot()
    {
        var entries = new List<Entry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // pid (comm) state ppid pgrp ...: comm may hold spaces, so parse after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                entries.Add(new Entry(pid, int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), commandLine));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return entries;
    }
}
