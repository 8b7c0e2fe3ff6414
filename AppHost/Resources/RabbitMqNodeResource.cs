using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivacySuite.AppHost.Hosting;

namespace PrivacySuite.AppHost.Resources;

/// <summary>
/// A RabbitMQ 3.10 node of one region, run by DCP as an executable and configured entirely through its environment by
/// <see cref="RabbitMqServer"/> (the same code the tests use). Its epmd is a resource of its own, so nothing outlives a stop.
/// </summary>
public sealed class RabbitMqNodeResource(string name, string region, RabbitMqServer server, ParameterResource password)
    : ExecutableResource(name, Binaries.RabbitMq("rabbitmq-server"), server.Directory), IResourceWithConnectionString
{
    public string Region => region;

    public RabbitMqServer Server => server;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://{server.Options.User}:{password}@127.0.0.1:{server.Options.AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}

/// <summary>
/// One service's user on a node: not an administrator, allowed only the exchanges and queues the service's events need
/// (<see cref="BrokerPermissions.For"/>), so it cannot publish another service's events. Referencing it gives the
/// service <c>ConnectionStrings__rabbitmq</c> with that user's credentials.
/// </summary>
public sealed class RabbitMqUserResource(string name, string user, ParameterResource password, RabbitMqNodeResource node)
    : Resource(name), IResourceWithParent<RabbitMqNodeResource>, IResourceWithConnectionString
{
    public string User => user;

    public ParameterResource Password => password;

    public RabbitMqNodeResource Parent => node;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://{user}:{password}@127.0.0.1:{node.Server.Options.AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}

public static class RabbitMqNodeBuilderExtensions
{
    /// <summary>
    /// The user <paramref name="service"/> connects as; the node creates it (or resets its password and permissions)
    /// each time it becomes ready, before the services that wait for it start. Both regions' nodes share the password.
    /// </summary>
    public static IResourceBuilder<RabbitMqUserResource> AddServiceUser(this IResourceBuilder<RabbitMqNodeResource> node, string service,
        IResourceBuilder<ParameterResource> password) =>
        node.ApplicationBuilder.AddResource(new RabbitMqUserResource($"{node.Resource.Name}-{service}", service, password.Resource, node.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "RabbitMqUser",
                State = KnownResourceStates.NotStarted,
                Properties = [new("user", service)],
            })
            .WithParentRelationship(node);

    public static IResourceBuilder<RabbitMqNodeResource> AddRabbitMqNode(
        this IDistributedApplicationBuilder builder, string name, string region, (int Amqp, int Management, int Distribution, int Epmd) ports,
        SuiteState state, IResourceBuilder<ParameterResource> password)
    {
        var server = new RabbitMqServer(
            new RabbitMqServerOptions(name, state.StateDir, ports.Amqp, ports.Management, ports.Distribution, ports.Epmd, "suite",
                state.Secret(password.Resource.Name)) { ExternalEpmd = true },
            _ => { });
        Directory.CreateDirectory(server.Directory);

        // epmd in the foreground on the node's private port, loopback only: the default `epmd -daemon` outlives the node.
        var epmdCheck = $"{name}-epmd-answers";
        builder.Services.AddHealthChecks().AddAsyncCheck(epmdCheck, async ct =>
            await EpmdAnswersAsync(ports.Epmd, ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("epmd does not answer"));
        var epmd = builder.AddExecutable($"{name}-epmd", "epmd", server.Directory, "-port", ports.Epmd.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithEndpoint(port: ports.Epmd, targetPort: ports.Epmd, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(epmdCheck);

        var nodeCheck = $"{name}-accepts-clients";
        builder.Services.AddHealthChecks().AddAsyncCheck(nodeCheck, async ct =>
            await server.AcceptsClientsAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"{name} does not accept AMQP clients yet"));

        var node = builder.AddResource(new RabbitMqNodeResource(name, region, server, password.Resource))
            .WithEnvironment(context =>
            {
                foreach (var (key, value) in server.ServerEnvironment())
                {
                    context.EnvironmentVariables[key] = value ?? "";
                }
            })
            .WithEndpoint(port: ports.Amqp, targetPort: ports.Amqp, scheme: "tcp", name: "amqp", isProxied: false)
            .WithHttpEndpoint(port: ports.Management, targetPort: ports.Management, name: "management", isProxied: false)
            .WithHealthCheck(nodeCheck)
            .WaitFor(epmd)
            .OnResourceReady(async (resource, e, ct) =>
            {
                var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
                foreach (var user in builder.Resources.OfType<RabbitMqUserResource>().Where(u => u.Parent == resource))
                {
                    await server.CreateUserAsync(user.User, await user.Password.GetValueAsync(ct) ?? "", BrokerPermissions.For(user.User), cancellationToken: ct);
                    await notifications.PublishUpdateAsync(user, s => s with { State = KnownResourceStates.Running });
                }
            });
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(node.Resource, (_, ct) => server.PrepareAsync(ct));
        epmd.WithParentRelationship(node);
        return node;
    }

    /// <summary>A NAMES request (a bare connect makes epmd log "got partial packet"): epmd answers with its port number first.</summary>
    private static async Task<bool> EpmdAnswersAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, cancellationToken);
            var answer = new byte[4];
            await stream.ReadExactlyAsync(answer, cancellationToken);
            return System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(answer) == port;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            return false;
        }
    }
}

/// <summary>
/// MailDev: a local SMTP server whose mail can be read back (npm maildev, installed by eng/install-deps.sh), requiring
/// STARTTLS and AUTH as a relay does. The connection string carries the user and the password parameter.
/// </summary>
public sealed class MailDevResource(string name, MailDevServer server, ParameterResource password)
    : ExecutableResource(name, "node", server.Options.StateDir), IResourceWithConnectionString
{
    public MailDevServer Server => server;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"smtp://{MailDevServer.User}:{password}@127.0.0.1:{server.Options.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}

public static class MailDevBuilderExtensions
{
    public static IResourceBuilder<MailDevResource> AddMailDev(
        this IDistributedApplicationBuilder builder, string name, int smtpPort, int webPort, SuiteState state, IResourceBuilder<ParameterResource> password)
    {
        // The value makes the certificate and decides the command; the resource hands the parameter on, never the value.
        var server = new MailDevServer(
            new MailDevServerOptions(name, state.StateDir, smtpPort, webPort) { Password = state.Secret(password.Resource.Name) }, _ => { });
        var (program, arguments) = server.ServerCommand();
        var resource = new MailDevResource(name, server, password.Resource);
        return builder.AddResource(resource)
            .WithCommand(program)
            .WithArgs([.. arguments])
            .WithEnvironment("MAILDEV_INCOMING_USER", MailDevServer.User)
            .WithEnvironment("MAILDEV_INCOMING_PASS", password)
            .WithEndpoint(port: smtpPort, targetPort: smtpPort, scheme: "smtp", name: "smtp", isProxied: false)
            .WithHttpEndpoint(port: webPort, targetPort: webPort, name: "web", isProxied: false)
            .WithHttpHealthCheck("/healthz", endpointName: "web");
    }
}
