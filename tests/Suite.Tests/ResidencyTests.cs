using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Regions;
using PrivacySuite.AppHost.Resources;

namespace PrivacySuite.Suite.Tests;

/// <summary>Data residency for the regions (INF-2.1): the topology refuses a replica abroad before anything starts.</summary>
public sealed class ResidencyTests
{
    [Fact]
    [Trait("Clause", "INF-2.1")]
    public void A_standby_region_outside_the_jurisdiction_is_refused()
    {
        RegionResources Region(string name, string jurisdiction)
        {
            var password = new ParameterResource("password", _ => "secret", secret: true);
            var postgres = new PostgresClusterResource($"postgres-{name}", name, new PostgresServer(new PostgresServerOptions($"postgres-{name}", "/nonexistent", 1, "secret"), _ => { }), password);
            var rabbitmq = new RabbitMqNodeResource($"rabbitmq-{name}", name, new RabbitMqServer(new RabbitMqServerOptions($"rabbitmq-{name}", "/nonexistent", 1, 2, 3, 4, "suite", "secret"), _ => { }), password);
            return new RegionResources(name, jurisdiction, postgres, rabbitmq);
        }

        var builder = DistributedApplication.CreateBuilder([]);
        var roles = new PrivacySuite.AppHost.Hosting.Replication.RegionRoles(Path.GetTempPath(), "beijing");

        var refused = Assert.Throws<HostingException>(() => builder.AddRegionCoordination([Region("beijing", "CN"), Region("frankfurt", "DE")], roles));

        Assert.Contains("INF-2.1", refused.Message, StringComparison.Ordinal);
    }
}
