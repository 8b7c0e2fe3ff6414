namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>Aspire's resource state names, as its dashboard and API show them.</summary>
public static class ResourceStates
{
    public const string NotStarted = "NotStarted";
    public const string Waiting = "Waiting";
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string Stopping = "Stopping";
    public const string Exited = "Exited";
    public const string FailedToStart = "FailedToStart";
}

public static class HealthStatus
{
    public const string Healthy = "Healthy";
    public const string Unhealthy = "Unhealthy";
}

/// <summary>A named endpoint of a resource: a fixed port on 127.0.0.1 (overridable with --port NAME.ENDPOINT=N).</summary>
public sealed record EndpointAnnotation(string Name, string Scheme, int Port)
{
    public string Url => $"{Scheme}://127.0.0.1:{Port}";
}

/// <summary>
/// One thing the AppHost runs (a PostgreSQL cluster, a RabbitMQ node, a service). The orchestrator drives its
/// lifecycle; the resource knows how to start, stop and health-check itself, and what it gives to those that reference it.
/// </summary>
public abstract class Resource(string name, Region region)
{
    private readonly object _gate = new();
    private string _state = ResourceStates.NotStarted;
    private string _health = HealthStatus.Unhealthy;

    public string Name { get; } = name;

    public Region Region { get; } = region;

    /// <summary>The resource type shown by the dashboard (Aspire's names: Project, Postgres, RabbitMQ).</summary>
    public abstract string Type { get; }

    public List<EndpointAnnotation> Endpoints { get; } = [];

    /// <summary>Resources that must be Running and Healthy before this one starts (Aspire's WaitFor).</summary>
    public List<Resource> WaitsFor { get; } = [];

    public ResourceLog Log { get; } = new();

    public string State { get { lock (_gate) { return _state; } } }

    public string Health { get { lock (_gate) { return _health; } } }

    public DateTimeOffset? StartedAt { get; internal set; }

    public int Restarts { get; internal set; }

    public int? ExitCode { get; internal set; }

    /// <summary>The process id of the running process (the leader of its process group), if any.</summary>
    public abstract int? ProcessId { get; }

    /// <summary>Completes when the current process exits; null when nothing runs.</summary>
    public abstract Task<int>? Exited { get; }

    public bool IsReady => State == ResourceStates.Running && Health == HealthStatus.Healthy;

    public EndpointAnnotation Endpoint(string name) =>
        Endpoints.SingleOrDefault(e => e.Name == name) ?? throw new InvalidOperationException($"{Name} has no endpoint named {name}.");

    /// <summary>Checks what must exist before anything starts (binaries, build output); throws <see cref="HostingException"/>.</summary>
    public virtual void Preflight()
    {
    }

    /// <summary>Starts the process. Infrastructure returns once it accepts connections; a project once it is spawned.</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops the process and everything in its process group.</summary>
    public abstract Task StopAsync();

    public abstract Task<bool> CheckHealthAsync(CancellationToken cancellationToken);

    internal void SetState(string state)
    {
        lock (_gate)
        {
            _state = state;
            if (state != ResourceStates.Running)
            {
                _health = HealthStatus.Unhealthy;
            }
        }
    }

    internal void SetHealth(bool healthy)
    {
        lock (_gate)
        {
            _health = healthy && _state == ResourceStates.Running ? HealthStatus.Healthy : HealthStatus.Unhealthy;
        }
    }

    public override string ToString() => Name;
}

/// <summary>A resource that gives a connection string to those that reference it (ConnectionStrings__{name}).</summary>
public interface IResourceWithConnectionString
{
    string ConnectionName { get; }

    string ConnectionString { get; }

    /// <summary>The resource whose health the connection depends on (a database's server).</summary>
    Resource Owner { get; }
}
