namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>A RabbitMQ node with the management plugin (Aspire's AddRabbitMQ(...).WithManagementPlugin()).</summary>
public sealed class RabbitMqResource : Resource, IResourceWithConnectionString
{
    public const string User = "suite";
    private readonly RabbitMqServer _server;

    public RabbitMqResource(string name, Region region, string stateDir, RabbitMqPorts ports, string password)
        : base(name, region)
    {
        Endpoints.Add(new EndpointAnnotation("tcp", "amqp", ports.Amqp));
        Endpoints.Add(new EndpointAnnotation("management", "http", ports.Management));
        Endpoints.Add(new EndpointAnnotation("distribution", "tcp", ports.Distribution));
        Endpoints.Add(new EndpointAnnotation("epmd", "tcp", ports.Epmd));
        _server = new RabbitMqServer(
            new RabbitMqServerOptions(name, stateDir, ports.Amqp, ports.Management, ports.Distribution, ports.Epmd, User, password),
            Log.Append);
    }

    public override string Type => "RabbitMQ";

    public RabbitMqServer Server => _server;

    public string ConnectionName => Name;

    public string ConnectionString => _server.ConnectionString();

    public Resource Owner => this;

    public override int? ProcessId => _server.Process is { HasExited: false } p ? p.Id : null;

    public override Task<int>? Exited => _server.Process?.Exited;

    public override void Preflight() => Binaries.RabbitMq("rabbitmq-server");

    public override Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public override Task StopAsync() => _server.StopAsync();

    public override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) => _server.IsHealthyAsync(cancellationToken);
}

public sealed record RabbitMqPorts(int Amqp, int Management, int Distribution, int Epmd);
