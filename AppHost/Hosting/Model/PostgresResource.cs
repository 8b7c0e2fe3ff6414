using PrivacySuite.AppHost.Hosting.Replication;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// A PostgreSQL 15 cluster (Aspire's AddPostgres) with its data in the state folder. In a replicated pair it starts as
/// the primary only while <see cref="RegionRoles"/> names its region; otherwise it starts as a streaming standby of
/// its peer, and rebuilds itself from the peer when its data is missing or is a fenced old primary.
/// </summary>
public sealed class PostgresResource : Resource
{
    private static readonly TimeSpan PeerWait = TimeSpan.FromSeconds(90);
    private readonly PostgresServer _server;

    public PostgresResource(string name, Region region, string stateDir, int port, string password)
        : base(name, region)
    {
        Endpoints.Add(new EndpointAnnotation("tcp", "tcp", port));
        // Every cluster of the suite can be either side of replication after a failover.
        _server = new PostgresServer(new PostgresServerOptions(name, stateDir, port, password) { ExtraSettings = PostgresReplication.Settings }, Log.Append);
    }

    public override string Type => "Postgres";

    public PostgresServer Server => _server;

    /// <summary>The databases created on every start (Aspire's AddDatabase creates them when missing).</summary>
    public List<PostgresDatabase> Databases { get; } = [];

    /// <summary>The other region's cluster, when the two replicate; set by AddReplication.</summary>
    public PostgresResource? Peer { get; internal set; }

    internal RegionRoles? Roles { get; set; }

    /// <summary>True when this cluster starts (or runs) as the standby of its peer.</summary>
    public bool IsStandby => Peer is not null && Roles is not null && !Roles.IsPrimary(Region);

    public override int? ProcessId => _server.Process is { HasExited: false } p ? p.Id : null;

    public override Task<int>? Exited => _server.Process?.Exited;

    public override void Preflight()
    {
        Binaries.Postgres("postgres");
        Binaries.Postgres("initdb");
        Binaries.Postgres("pg_basebackup");
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (IsStandby)
        {
            // Databases and schemas arrive from the primary by replication.
            await PrepareStandbyAsync(cancellationToken);
            await _server.StartAsync(cancellationToken);
            return;
        }

        if (Peer is not null && !HasData(this) && HasData(Peer))
        {
            // An empty primary would start a new, empty history and the standby would be rebuilt from it: never.
            throw new HostingException(
                $"{Name} is the primary but its data folder is empty, while {Peer.Name} holds data. Refusing to create an empty primary: " +
                $"fail over to {Peer.Region.Name} (privacy region failover --to {Peer.Region.Name}), or start with --fresh to discard everything.");
        }

        await _server.StartAsync(cancellationToken);
        if (await PostgresReplication.IsInRecoveryAsync(_server, cancellationToken))
        {
            // The roles say primary but the data says standby: only a failover promotes, never a start.
            throw new HostingException($"{Name} holds a standby's data but its region is the primary; run a failover to promote it.");
        }

        foreach (var database in Databases)
        {
            await _server.CreateDatabaseAsync(database.DatabaseName, cancellationToken);
        }
    }

    public override Task StopAsync() => _server.StopAsync();

    public override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) => _server.IsHealthyAsync(cancellationToken);

    private static bool HasData(PostgresResource postgres) => File.Exists(Path.Combine(postgres.Server.DataDirectory, "PG_VERSION"));

    /// <summary>
    /// Keeps a standby's data when it is one; otherwise (first start, or the old primary after a failover: fenced, its
    /// timeline abandoned) clones a fresh copy from the peer once the peer is a primary. The fenced data is kept aside
    /// in <c>data.fenced</c> for forensics until the next rebuild.
    /// </summary>
    private async Task PrepareStandbyAsync(CancellationToken cancellationToken)
    {
        var data = _server.DataDirectory;
        var peer = Peer!;
        if (File.Exists(Path.Combine(data, "PG_VERSION")) && File.Exists(Path.Combine(data, "standby.signal")))
        {
            await PostgresReplication.PointStandbyAtAsync(_server, peer.Server, cancellationToken);
            return;
        }

        Log.Append($"[apphost] {Name} is the standby region's cluster; cloning it from {peer.Name}");
        await WaitForPrimaryAsync(peer, cancellationToken);
        if (Directory.Exists(data))
        {
            var aside = data + ".fenced";
            if (Directory.Exists(aside))
            {
                Directory.Delete(aside, recursive: true);
            }

            Directory.Move(data, aside);
        }

        await PostgresReplication.CreateStandbyAsync(peer.Server, _server, cancellationToken);
    }

    private static async Task WaitForPrimaryAsync(PostgresResource peer, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + PeerWait;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (peer.State == ResourceStates.Running && !await PostgresReplication.IsInRecoveryAsync(peer.Server, cancellationToken))
                {
                    return;
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                // Still starting or being promoted.
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new HostingException($"{peer.Name} is not a running primary, so there is nothing to clone a standby from; " +
                                   "this cluster stays down (fenced) until a primary region is up.");
    }
}

/// <summary>A database in a cluster; referencing it gives ConnectionStrings__{connection name}.</summary>
public sealed class PostgresDatabase(string databaseName, PostgresResource server) : IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public string ConnectionName => DatabaseName;

    public string ConnectionString => server.Server.ConnectionString(DatabaseName);

    public Resource Owner => server;
}
