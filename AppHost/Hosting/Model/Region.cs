namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// A region of the suite: its broker, its database cluster and its replicas of the services. Resources carry their
/// region, so the dashboard and the services (PrivacySuite__Region, deployment.region) know where each one runs.
/// Cross-region wiring (replication, failover) hangs off this object.
/// </summary>
public sealed class Region(string name, bool isPrimary, string jurisdiction = Region.HomeJurisdiction)
{
    /// <summary>Where the suite's personal information is collected, and so where it must stay (INF-2.1).</summary>
    public const string HomeJurisdiction = "CN";

    public string Name { get; } = name;

    /// <summary>The ISO country whose law governs data at rest in this region.</summary>
    public string Jurisdiction { get; } = jurisdiction;

    /// <summary>The region whose database takes writes on a fresh start; after a failover the state folder decides.</summary>
    public bool IsPrimary { get; } = isPrimary;

    public List<Resource> Resources { get; } = [];

    public override string ToString() => Name;
}
