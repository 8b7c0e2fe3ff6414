using System.Security.Cryptography;
using System.Text.Json;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// Aspire's <c>DistributedApplication.CreateBuilder(args)</c>, small: regions and resources added by name, then
/// <see cref="Build"/>. Creating the builder settles the state folder (wiped with --fresh) and the dev credentials.
/// </summary>
public sealed class DistributedApplicationBuilder
{
    internal const string StateMarker = ".privacysuite-state";

    private DistributedApplicationBuilder(AppHostOptions options)
    {
        Options = options;
        StateDir = Path.GetFullPath(options.StateDir ?? Path.Combine(AppHostPaths.RepoRoot, ".suite"));
        PrepareStateDir(StateDir, options.Fresh);
        Credentials = DevCredentials.LoadOrCreate(StateDir);
        Parameters = GeneratedParameters.LoadOrCreate(StateDir);
        Dashboard = new DashboardSettings(options.DashboardAddress, options.RandomPorts ? AppHostOptions.RandomFreePort() : options.DashboardPort);
    }

    public AppHostOptions Options { get; }

    public string StateDir { get; }

    /// <summary>The suite's dev credentials; their signing key and API key hash stand for Aspire secret parameters.</summary>
    public DevCredentials Credentials { get; }

    internal GeneratedParameters Parameters { get; }

    public DashboardSettings Dashboard { get; }

    public List<Region> Regions { get; } = [];

    public List<Resource> Resources { get; } = [];

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(AppHostOptions.Parse(args));

    /// <summary>The replicated pair of regions, when the topology declares one (AddReplication).</summary>
    public ReplicationDeclaration? Replication { get; private set; }

    internal RegionRoles? Roles { get; private set; }

    public Region AddRegion(string name, bool isPrimary = false, string jurisdiction = Region.HomeJurisdiction)
    {
        var region = new Region(name, isPrimary, jurisdiction);
        Regions.Add(region);
        return region;
    }

    public ResourceBuilder<RabbitMqResource> AddRabbitMQ(string name, Region region, int port, int managementPort, int distributionPort, int epmdPort)
    {
        var ports = new RabbitMqPorts(
            Options.PortFor(name, "tcp", port, primary: true),
            Options.PortFor(name, "management", managementPort, primary: false),
            Options.PortFor(name, "distribution", distributionPort, primary: false),
            Options.PortFor(name, "epmd", epmdPort, primary: false));
        return Add(new RabbitMqResource(name, region, StateDir, ports, Parameters.Password(name)));
    }

    /// <summary>A cluster; <paramref name="passwordName"/> names the generated password, shared by clusters that replicate (a standby is a copy of its primary).</summary>
    public ResourceBuilder<PostgresResource> AddPostgres(string name, Region region, int port, string? passwordName = null) =>
        Add(new PostgresResource(name, region, StateDir, Options.PortFor(name, "tcp", port, primary: true), Parameters.Password(passwordName ?? name)));

    /// <summary>
    /// Binds two regions: the primary's cluster streams to the standby's (synchronously while it is up), the brokers
    /// federate each other's events, and a failover can swap the roles. Refused when the standby would sit outside the
    /// primary's jurisdiction (INF-2.1).
    /// </summary>
    public ReplicationDeclaration AddReplication(
        ResourceBuilder<PostgresResource> primaryPostgres, ResourceBuilder<RabbitMqResource> primaryRabbitMq,
        ResourceBuilder<PostgresResource> standbyPostgres, ResourceBuilder<RabbitMqResource> standbyRabbitMq)
    {
        var primary = primaryPostgres.Resource.Region;
        var standby = standbyPostgres.Resource.Region;
        if (Replication is not null)
        {
            throw new HostingException("The topology declares replication twice; the suite has one pair of regions.");
        }

        if (primary == standby || primaryRabbitMq.Resource.Region != primary || standbyRabbitMq.Resource.Region != standby)
        {
            throw new HostingException("AddReplication needs each region's own cluster and broker, in two different regions.");
        }

        Residency.EnsureReplicaAllowed(primary, standby);
        Residency.EnsureReplicaAllowed(standby, primary); // after a failover the copy flows back
        Roles = new RegionRoles(StateDir, primary.Name);
        foreach (var (postgres, peer) in new[] { (primaryPostgres.Resource, standbyPostgres.Resource), (standbyPostgres.Resource, primaryPostgres.Resource) })
        {
            postgres.Peer = peer;
            postgres.Roles = Roles;
        }

        Replication = new ReplicationDeclaration((primary, primaryPostgres.Resource, primaryRabbitMq.Resource), (standby, standbyPostgres.Resource, standbyRabbitMq.Resource));
        return Replication;
    }

    /// <summary>A local SMTP server with a web API to read the mail (Aspire's AddMailDev).</summary>
    public ResourceBuilder<MailDevResource> AddMailDev(string name, Region region, int smtpPort, int webPort) =>
        Add(new MailDevResource(name, region, StateDir,
            Options.PortFor(name, "smtp", smtpPort, primary: true), Options.PortFor(name, "http", webPort, primary: false)));

    /// <summary>A service from <paramref name="projectDirectory"/> (relative to the repository), with Aspire's environment for projects.</summary>
    public ResourceBuilder<ProjectResource> AddProject(string name, Region region, string projectDirectory, int httpPort)
    {
        var project = new ProjectResource(name, region, AppHostPaths.ProjectAssembly(projectDirectory),
            Options.PortFor(name, "http", httpPort, primary: true));
        var instanceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        project.EnvironmentCallbacks.Add(env =>
        {
            env["ASPNETCORE_URLS"] = project.Endpoint("http").Url;
            env["ASPNETCORE_ENVIRONMENT"] = "Development";
            env["DOTNET_ENVIRONMENT"] = "Development";
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = Dashboard.Url;
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            env["OTEL_EXPORTER_OTLP_HEADERS"] = $"{DashboardSettings.OtlpApiKeyHeader}={Dashboard.OtlpApiKey}";
            env["OTEL_SERVICE_NAME"] = name;
            env["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={name}-{instanceId},deployment.region={region.Name}";
            // Aspire's development values: telemetry shows up within a second. Metrics every 5 s, not 1, on 2 cores.
            env["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            env["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
            env["OTEL_METRIC_EXPORT_INTERVAL"] = "5000";
            env["PrivacySuite__Region"] = region.Name;
            foreach (var (key, value) in Credentials.ToEnvironment())
            {
                env[key] = value;
            }

            // The dotnet host looks for its settings under HOME.
            if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home)
            {
                env["HOME"] = home;
            }
        });
        return Add(project);
    }

    public DistributedApplication Build()
    {
        var app = new DistributedApplication(this);
        DistributedApplicationFactory.NotifyBuilt(app);
        return app;
    }

    private ResourceBuilder<T> Add<T>(T resource)
        where T : Resource
    {
        if (Resources.Any(r => string.Equals(r.Name, resource.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"A resource named {resource.Name} exists already.");
        }

        Resources.Add(resource);
        resource.Region.Resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    private static void PrepareStateDir(string stateDir, bool fresh)
    {
        var marker = Path.Combine(stateDir, StateMarker);
        if (Directory.Exists(stateDir) && Directory.EnumerateFileSystemEntries(stateDir).Any() && !File.Exists(marker))
        {
            throw new HostingException($"{stateDir} is not empty and is not a PrivacySuite state folder: choose another --state-dir.");
        }

        if (fresh && Directory.Exists(stateDir))
        {
            Directory.Delete(stateDir, recursive: true);
        }

        Directory.CreateDirectory(stateDir);
        File.WriteAllText(marker, "PrivacySuite AppHost state: infrastructure data, credentials, logs. Remove with --fresh.\n");
        if (Binaries.IsRoot)
        {
            // The postgres user must reach its cluster's folder below this one.
            File.SetUnixFileMode(stateDir, (UnixFileMode)0b111_101_101);
        }
    }
}

/// <summary>Where the dashboard listens, and the per-run secrets that guard it.</summary>
public sealed record DashboardSettings(System.Net.IPAddress Address, int Port)
{
    public const string OtlpApiKeyHeader = "x-otlp-api-key";

    public string Url => $"http://{(Address.Equals(System.Net.IPAddress.Any) ? "127.0.0.1" : Address.ToString())}:{Port}";

    /// <summary>The browser login token (Aspire's dashboard token), new on every run.</summary>
    public string BrowserToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The key services send with OTLP (Aspire's OTLP API key), new on every run.</summary>
    public string OtlpApiKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string LoginUrl => $"{Url}/login?t={BrowserToken}";
}

/// <summary>Passwords the AppHost generates once per state folder (Aspire's generated parameters), kept with the data they protect.</summary>
internal sealed class GeneratedParameters
{
    public const string FileName = "parameters.json";
    private readonly string _path;
    private readonly Dictionary<string, string> _values;

    private GeneratedParameters(string path, Dictionary<string, string> values)
    {
        _path = path;
        _values = values;
    }

    public static GeneratedParameters LoadOrCreate(string stateDir)
    {
        var path = Path.Combine(stateDir, FileName);
        var values = File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? [] : [];
        return new GeneratedParameters(path, values);
    }

    public string Password(string resource)
    {
        var key = resource + "-password";
        if (!_values.TryGetValue(key, out var value))
        {
            value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _values[key] = value;
            File.WriteAllText(_path, JsonSerializer.Serialize(_values, new JsonSerializerOptions { WriteIndented = true }));
            File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return value;
    }
}
