namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// A region of the suite: its broker, its database cluster and its replicas of the services. Resources carry their
/// region, so the dashboard and the services (PrivacySuite__Region, deployment.region) know where each one runs.
/// Cross-region wiring (replication, failover) hangs off this object.
/// </summary>
public sealed class Region(string name, bool isPrimary)
{
    public string Name { get; } = name;

    /// <summary>The region whose database takes writes when both are up.</summary>
    public bool IsPrimary { get; } = isPrimary;

    public List<Resource> Resources { get; } = [];

    public override string ToString() => Name;
}
