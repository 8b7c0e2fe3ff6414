using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Replication;

namespace PrivacySuite.AppHost.Resources;

/// <summary>
/// A PostgreSQL 15 cluster of one region, run by DCP as an executable (Aspire's container integration needs Docker).
/// Its data, settings and first-run initdb come from <see cref="PostgresServer"/>, the same code the tests start their
/// clusters with. Both clusters can be either side of replication, so both carry the replication settings.
/// </summary>
public sealed class PostgresClusterResource(string name, string region, PostgresServer server, ParameterResource password)
    : ExecutableResource(name, "bash", server.Directory), IResourceWithConnectionString
{
    public string Region => region;

    public PostgresServer Server => server;

    /// <summary>The superuser's connection: the AppHost's own (it creates the services' roles and databases) and the operations console's.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host=127.0.0.1;Port={server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username={PostgresServer.SuperUser};Password={password}");
}

/// <summary>
/// One service's database in a cluster, owned by the service's own login role (not a superuser), who alone may connect
/// to it: referencing it gives the service <c>ConnectionStrings__{database}</c> with that role's credentials.
/// </summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, string owner, ParameterResource password, PostgresClusterResource cluster)
    : Resource(name), IResourceWithParent<PostgresClusterResource>, IResourceWithConnectionString
{
    public string DatabaseName => databaseName;

    public string Owner => owner;

    public ParameterResource Password => password;

    public PostgresClusterResource Parent => cluster;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={cluster.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username={owner};Password={password};Database={databaseName}");
}

public static class PostgresClusterBuilderExtensions
{
    // DCP stops executables with SIGTERM, which PostgreSQL takes as a "smart" shutdown that waits for every client:
    // turn it into SIGINT (fast shutdown), so the cluster is always left "shut down" and starts without recovery.
    private const string FastShutdownWrapper =
        "\"$@\" & pid=$!; trap 'kill -INT $pid 2>/dev/null' TERM INT; wait $pid; rc=$?; " +
        "while kill -0 $pid 2>/dev/null; do wait $pid; rc=$?; done; exit $rc";

    public static IResourceBuilder<PostgresClusterResource> AddPostgresCluster(
        this IDistributedApplicationBuilder builder, string name, string region, int port, SuiteState state,
        IResourceBuilder<ParameterResource> password)
    {
        var server = new PostgresServer(
            new PostgresServerOptions(name, state.StateDir, port, state.Secret(password.Resource.Name)) { ExtraSettings = PostgresReplication.Settings },
            _ => { });
        Directory.CreateDirectory(server.Directory);
        var (program, arguments) = server.ServerCommand;
        var cluster = new PostgresClusterResource(name, region, server, password.Resource);

        var healthCheck = $"{name}-accepts-queries";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async ct =>
            await server.AcceptsQueriesAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"{name} does not answer on port {port}"));

        return builder.AddResource(cluster)
            .WithArgs(["-c", FastShutdownWrapper, "postgres-fast-shutdown", program, .. arguments])
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck)
            .OnResourceReady(async (resource, e, ct) =>
            {
                // A standby gets its roles and databases by replication; only a primary creates what is missing.
                var databases = builder.Resources.OfType<PostgresDatabaseResource>().Where(d => d.Parent == resource).ToList();
                if (!await PostgresReplication.IsInRecoveryAsync(resource.Server, ct))
                {
                    foreach (var database in databases)
                    {
                        await resource.Server.CreateOwnedDatabaseAsync(database.DatabaseName, database.Owner, await database.Password.GetValueAsync(ct) ?? "", ct);
                    }
                }

                var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
                foreach (var database in databases)
                {
                    await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running });
                }
            });
    }

    /// <summary>
    /// A service's database, named <paramref name="databaseName"/> in every region (the resource name carries the
    /// region), owned by the role <paramref name="owner"/>. Physical replication copies roles with the data, so both
    /// regions share the owner's password.
    /// </summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresClusterResource> cluster, string databaseName,
        string owner, IResourceBuilder<ParameterResource> password) =>
        cluster.ApplicationBuilder.AddResource(new PostgresDatabaseResource($"{databaseName}-{cluster.Resource.Region}", databaseName, owner, password.Resource, cluster.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.NotStarted,
                Properties = [new("database", databaseName), new("owner", owner)],
            })
            .WithParentRelationship(cluster);
}
