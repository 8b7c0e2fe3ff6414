using System.Runtime.InteropServices;
using PrivacySuite.AppHost.Hosting.Dashboard;
using PrivacySuite.AppHost.Hosting.Replication;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// The running topology (Aspire's DistributedApplication): starts every resource health-gated in dependency order,
/// supervises them, serves the dashboard, and on SIGINT/SIGTERM stops services first, then infrastructure.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly List<ResourceRunner> _runners;
    private readonly DashboardServer _dashboard;
    private readonly ProcessRecords _records;
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stopOnce = new(1, 1);
    private FileStream? _stateLock;
    private bool _started;
    private bool _stopped;

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        Builder = builder;
        Resources = builder.Resources.ToList();
        _records = new ProcessRecords(builder.StateDir, WriteConsole);
        _runners = Resources.Select(r => new ResourceRunner(r, _records, WriteConsole)).ToList();
        if (builder.Replication is { } pair)
        {
            RegionCoordinator = new RegionCoordinator(pair, builder.Roles!, RunnerHandle, WriteConsole);
        }

        _dashboard = new DashboardServer(this, builder.Dashboard);
        if (RegionCoordinator is not null)
        {
            RegionCoordinator.Metrics = _dashboard.Otlp.Store.Add;
        }
    }

    /// <summary>The file in the state folder that tells local tools where the dashboard is (see <see cref="WriteDashboardFile"/>).</summary>
    public const string DashboardFileName = "dashboard.json";

    public DistributedApplicationBuilder Builder { get; }

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => DistributedApplicationBuilder.CreateBuilder(args);

    public IReadOnlyList<Resource> Resources { get; }

    public DashboardSettings Dashboard => Builder.Dashboard;

    public DashboardServer DashboardServer => _dashboard;

    /// <summary>Replication, federation and failover between the regions; null for a single-region topology.</summary>
    public RegionCoordinator? RegionCoordinator { get; }

    /// <summary>Where the AppHost's own lines go (the console by default; tests send them to their output).</summary>
    public Action<string> Console { get; set; } = line => System.Console.WriteLine(line);

    public Resource this[string name] =>
        Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"No resource named {name}.");

    public Resource? Find(string name) => Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks binaries, build output and ports, starts the dashboard, then lets every resource start when its dependencies are ready.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        LockStateDir();
        await _records.ReapAsync(Resources);
        Preflight();
        await _dashboard.StartAsync(cancellationToken);
        WriteDashboardFile();
        foreach (var resource in Resources)
        {
            resource.Log.MirrorTo(Path.Combine(Builder.StateDir, "logs", resource.Name + ".log"));
        }

        _started = true;
        foreach (var runner in _runners)
        {
            runner.Start();
        }

        RegionCoordinator?.Start();
    }

    /// <summary>Runs until SIGINT or SIGTERM (or <see cref="StopAsync"/>), then stops everything.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var registration = cancellationToken.Register(() => _stopRequested.TrySetResult());
        try
        {
            await StartAsync(cancellationToken);
            WriteBanner();
            await _stopRequested.Task;
        }
        finally
        {
            // Whatever went wrong, nothing that was started outlives the AppHost.
            await StopAsync();
        }
    }

    /// <summary>Services first, then what they depend on: each layer stops only after everything that waits for it.</summary>
    public async Task StopAsync()
    {
        await _stopOnce.WaitAsync();
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _stopRequested.TrySetResult();
            if (_started)
            {
                WriteConsole("Stopping: services first, then infrastructure.");
                if (RegionCoordinator is not null)
                {
                    await RegionCoordinator.DisposeAsync();
                }

                foreach (var layer in StopLayers())
                {
                    try
                    {
                        await Task.WhenAll(layer.Select(r => r.ShutdownAsync()));
                    }
                    catch (Exception e)
                    {
                        // One resource failing to stop cleanly must not leave the next layers running.
                        WriteConsole($"Error while stopping {string.Join(", ", layer.Select(r => r.Resource.Name))}: {e.GetType().Name}: {e.Message}");
                    }
                }
            }

            await _dashboard.DisposeAsync();
            _stateLock?.Dispose();
            _stateLock = null;
            if (_started)
            {
                WriteConsole("Stopped.");
            }
        }
        finally
        {
            _stopOnce.Release();
        }
    }

    public async Task<bool> WaitForAllHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Resources.All(r => r.IsReady))
            {
                return true;
            }

            await Task.Delay(250, cancellationToken);
        }

        return false;
    }

    /// <summary>The dashboard's stop, start and restart buttons.</summary>
    public bool Command(string resourceName, string command)
    {
        var runner = _runners.FirstOrDefault(r => string.Equals(r.Resource.Name, resourceName, StringComparison.OrdinalIgnoreCase));
        if (runner is null)
        {
            return false;
        }

        WriteConsole($"{runner.Resource.Name}: {command} requested by the operator");
        switch (command)
        {
            case ResourceCommands.Stop:
                runner.RequestStop();
                break;
            case ResourceCommands.Start:
                runner.RequestStart();
                break;
            case ResourceCommands.Restart:
                runner.RequestRestart();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown command.");
        }

        return true;
    }

    private ResourceRunnerHandle RunnerHandle(Resource resource)
    {
        var runner = _runners.Single(r => r.Resource == resource);
        return new ResourceRunnerHandle(runner.Kill, () =>
        {
            if (resource.ProcessId is null)
            {
                runner.RequestStart();
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopOnce.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the children are stopped in order, then RunAsync returns.
        context.Cancel = true;
        if (!_stopRequested.Task.IsCompleted)
        {
            WriteConsole($"{context.Signal} received.");
        }

        _stopRequested.TrySetResult();
    }

    /// <summary>One AppHost per state folder: a second one would fight the first over data folders and ports.</summary>
    private void LockStateDir()
    {
        try
        {
            // FileShare.None takes an flock on Linux; the kernel drops it when the process dies, however it dies.
            _stateLock = new FileStream(Path.Combine(Builder.StateDir, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new HostingException($"Another AppHost is using {Builder.StateDir}: stop it first, or give this one another --state-dir.");
        }
    }

    private void Preflight()
    {
        var problems = new List<string>();
        foreach (var resource in Resources)
        {
            try
            {
                resource.Preflight();
            }
            catch (HostingException e)
            {
                problems.Add(e.Message);
            }
        }

        var ports = Resources.SelectMany(r => r.Endpoints.Select(e => (Resource: (Resource?)r, Endpoint: e)))
            .Append((Resource: (Resource?)null, Endpoint: new EndpointAnnotation("dashboard", "http", Dashboard.Port)))
            .ToList();
        foreach (var group in ports.GroupBy(p => p.Endpoint.Port).Where(g => g.Count() > 1))
        {
            problems.Add($"Port {group.Key} is given to more than one endpoint ({string.Join(", ", group.Select(Describe))}): change one with --port.");
        }

        foreach (var (resource, endpoint) in ports)
        {
            if (Ports.IsInUse(endpoint.Port))
            {
                var option = resource is null ? "--dashboard-port N" : $"--port {resource.Name}.{endpoint.Name}=N";
                problems.Add($"Port {endpoint.Port} for {Describe((resource, endpoint))} is already in use on 127.0.0.1. " +
                             $"Stop whatever holds it (ss -ltnp 'sport = :{endpoint.Port}') or choose another port with {option}.");
            }
        }

        if (problems.Count > 0)
        {
            throw new HostingException(string.Join(Environment.NewLine, problems.Distinct()));
        }

        static string Describe((Resource? Resource, EndpointAnnotation Endpoint) p) =>
            p.Resource is null ? "the dashboard" : $"{p.Resource.Name} ({p.Endpoint.Name})";
    }

    /// <summary>Resources grouped so that nothing stops before all that wait for it have stopped.</summary>
    private IEnumerable<List<ResourceRunner>> StopLayers()
    {
        var depth = new Dictionary<Resource, int>();
        int Depth(Resource r) => depth.TryGetValue(r, out var d) ? d : depth[r] = r.WaitsFor.Count == 0 ? 0 : 1 + r.WaitsFor.Max(Depth);
        return _runners.GroupBy(r => Depth(r.Resource)).OrderByDescending(g => g.Key).Select(g => g.ToList());
    }

    /// <summary>
    /// Where this run's dashboard is and its token, for tools on this machine (`privacy region failover`). Readable by
    /// the owner only, like the dev credentials beside it; a new token on every run.
    /// </summary>
    private void WriteDashboardFile()
    {
        var path = Path.Combine(Builder.StateDir, DashboardFileName);
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new { url = Dashboard.Url, token = Dashboard.BrowserToken }));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private void WriteBanner()
    {
        WriteConsole($"""
            PrivacySuite AppHost: {Resources.Count} resources in {string.Join(", ", Builder.Regions)}.
              Dashboard:        {Dashboard.LoginUrl}
              Dashboard token:  {Dashboard.BrowserToken}
              Dev credentials:  {Path.Combine(Builder.StateDir, ServiceDefaults.Auth.DevCredentials.FileName)}
              State folder:     {Builder.StateDir}  (logs in {Path.Combine(Builder.StateDir, "logs")})
            Ctrl-C stops everything.
            """);
    }

    private void WriteConsole(string line) => Console($"[{DateTime.Now:HH:mm:ss}] {line}");
}

public static class ResourceCommands
{
    public const string Stop = "stop";
    public const string Start = "start";
    public const string Restart = "restart";

    public static readonly IReadOnlyList<string> All = [Stop, Start, Restart];
}
