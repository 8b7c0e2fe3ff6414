namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// A .NET service (Aspire's AddProject), run from its build output with <c>dotnet PrivacySuite.X.dll</c>: no
/// <c>dotnet run</c>, whose build check costs seconds of CPU per service. Configuration reaches it only through the
/// environment, under Aspire's names.
/// </summary>
public sealed class ProjectResource : Resource
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private ChildProcess? _process;

    public ProjectResource(string name, Region region, string assemblyPath, int httpPort)
        : base(name, region)
    {
        AssemblyPath = assemblyPath;
        Endpoints.Add(new EndpointAnnotation("http", "http", httpPort));
    }

    public override string Type => "Project";

    public string AssemblyPath { get; }

    public string HealthCheckPath { get; set; } = "/health";

    /// <summary>Environment values, evaluated at each start (connection strings depend on other resources' ports).</summary>
    public List<Action<IDictionary<string, string?>>> EnvironmentCallbacks { get; } = [];

    public override int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public override Task<int>? Exited => _process?.Exited;

    public override void Preflight()
    {
        if (!File.Exists(AssemblyPath))
        {
            throw new HostingException(
                $"{AssemblyPath} is missing: build it with 'dotnet build AppHost -c {AppHostPaths.Configuration}' (./eng/run.sh does this).");
        }
    }

    public IReadOnlyDictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var callback in EnvironmentCallbacks)
        {
            callback(environment);
        }

        return environment;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Preflight();
        var port = Endpoint("http").Port;
        Ports.EnsureFree(port, Name, $"--port {Name}.http=N");
        _process = ChildProcess.Start("dotnet", [AssemblyPath], BuildEnvironment(), Log.Append,
            workingDirectory: Path.GetDirectoryName(AssemblyPath));
        return Task.CompletedTask;
    }

    /// <summary>SIGTERM lets the host stop its bus and flush telemetry; after 10 s the group is killed.</summary>
    public override Task StopAsync() => _process?.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(10)) ?? Task.CompletedTask;

    public override async Task<bool> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_process is null || _process.HasExited)
        {
            return false;
        }

        try
        {
            using var response = await Http.GetAsync(new Uri(Endpoint("http").Url + HealthCheckPath), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
