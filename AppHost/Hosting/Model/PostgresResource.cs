namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>A PostgreSQL 15 cluster (Aspire's AddPostgres) with its data in the state folder.</summary>
public sealed class PostgresResource : Resource
{
    private readonly PostgresServer _server;

    public PostgresResource(string name, Region region, string stateDir, int port, string password)
        : base(name, region)
    {
        Endpoints.Add(new EndpointAnnotation("tcp", "tcp", port));
        _server = new PostgresServer(new PostgresServerOptions(name, stateDir, port, password), Log.Append);
    }

    public override string Type => "Postgres";

    public PostgresServer Server => _server;

    /// <summary>The databases created on every start (Aspire's AddDatabase creates them when missing).</summary>
    public List<PostgresDatabase> Databases { get; } = [];

    public override int? ProcessId => _server.Process is { HasExited: false } p ? p.Id : null;

    public override Task<int>? Exited => _server.Process?.Exited;

    public override void Preflight()
    {
        Binaries.Postgres("postgres");
        Binaries.Postgres("initdb");
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync(cancellationToken);
        foreach (var database in Databases)
        {
            await _server.CreateDatabaseAsync(database.DatabaseName, cancellationToken);
        }
    }

    public override Task StopAsync() => _server.StopAsync();

    public override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) => _server.IsHealthyAsync(cancellationToken);
}

/// <summary>A database in a cluster; referencing it gives ConnectionStrings__{connection name}.</summary>
public sealed class PostgresDatabase(string databaseName, PostgresResource server) : IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public string ConnectionName => DatabaseName;

    public string ConnectionString => server.Server.ConnectionString(DatabaseName);

    public Resource Owner => server;
}
