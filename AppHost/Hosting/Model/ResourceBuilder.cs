namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>Aspire's IResourceBuilder: the fluent handle on one resource while the topology is declared.</summary>
public sealed class ResourceBuilder<T>(DistributedApplicationBuilder application, T resource)
    where T : Resource
{
    public DistributedApplicationBuilder ApplicationBuilder { get; } = application;

    public T Resource { get; } = resource;

    /// <summary>Start this resource only once <paramref name="dependency"/> is Running and Healthy.</summary>
    public ResourceBuilder<T> WaitFor<TOther>(ResourceBuilder<TOther> dependency)
        where TOther : Resource
    {
        if (!Resource.WaitsFor.Contains(dependency.Resource))
        {
            Resource.WaitsFor.Add(dependency.Resource);
        }

        return this;
    }

    public ResourceBuilder<T> WaitFor(PostgresDatabaseBuilder database) =>
        WaitFor(database.Server);
}

/// <summary>The handle of a database added to a cluster (Aspire's AddDatabase).</summary>
public sealed record PostgresDatabaseBuilder(PostgresDatabase Database, ResourceBuilder<PostgresResource> Server);

public static class ResourceBuilderExtensions
{
    /// <summary>A database created in the cluster at start (when missing); its connection name is <paramref name="databaseName"/>.</summary>
    public static PostgresDatabaseBuilder AddDatabase(this ResourceBuilder<PostgresResource> builder, string databaseName)
    {
        var database = builder.Resource.Databases.FirstOrDefault(d => d.DatabaseName == databaseName);
        if (database is null)
        {
            database = new PostgresDatabase(databaseName, builder.Resource);
            builder.Resource.Databases.Add(database);
        }

        return new PostgresDatabaseBuilder(database, builder);
    }

    /// <summary>ConnectionStrings__{connectionName} (default: the database's name).</summary>
    public static ResourceBuilder<ProjectResource> WithReference(this ResourceBuilder<ProjectResource> builder, PostgresDatabaseBuilder database, string? connectionName = null) =>
        builder.WithConnectionString(database.Database, connectionName);

    /// <summary>ConnectionStrings__{connectionName} (default: the node's resource name).</summary>
    public static ResourceBuilder<ProjectResource> WithReference(this ResourceBuilder<ProjectResource> builder, ResourceBuilder<RabbitMqResource> broker, string? connectionName = null) =>
        builder.WithConnectionString(broker.Resource, connectionName);

    /// <summary>ConnectionStrings__smtp (default), as Aspire's MailDev integration gives it.</summary>
    public static ResourceBuilder<ProjectResource> WithReference(this ResourceBuilder<ProjectResource> builder, ResourceBuilder<MailDevResource> mail, string? connectionName = null) =>
        builder.WithConnectionString(mail.Resource, connectionName);

    /// <summary>Service discovery: services__{name}__http__0, so that <c>http://{name}</c> reaches <paramref name="service"/>.</summary>
    public static ResourceBuilder<ProjectResource> WithReference(this ResourceBuilder<ProjectResource> builder, ResourceBuilder<ProjectResource> service, string? name = null)
    {
        var discoveryName = name ?? service.Resource.Name;
        builder.Resource.EnvironmentCallbacks.Add(env => env[$"services__{discoveryName}__http__0"] = service.Resource.Endpoint("http").Url);
        return builder;
    }

    public static ResourceBuilder<ProjectResource> WithEnvironment(this ResourceBuilder<ProjectResource> builder, string name, string value)
    {
        builder.Resource.EnvironmentCallbacks.Add(env => env[name] = value);
        return builder;
    }

    /// <summary>The path the AppHost polls for health (Aspire's WithHttpHealthCheck).</summary>
    public static ResourceBuilder<ProjectResource> WithHttpHealthCheck(this ResourceBuilder<ProjectResource> builder, string path = "/health")
    {
        builder.Resource.HealthCheckPath = path;
        return builder;
    }

    private static ResourceBuilder<ProjectResource> WithConnectionString(this ResourceBuilder<ProjectResource> builder, IResourceWithConnectionString source, string? connectionName)
    {
        var key = $"ConnectionStrings__{connectionName ?? source.ConnectionName}";
        builder.Resource.EnvironmentCallbacks.Add(env => env[key] = source.ConnectionString);
        return builder;
    }
}
