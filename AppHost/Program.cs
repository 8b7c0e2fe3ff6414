using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Model;

// The suite's topology, in the shape of an Aspire AppHost: two regions, each with its own broker, database cluster
// and replica of every service. Ports are fixed so that bookmarks and scripts keep working (--port overrides one).
try
{
    var builder = DistributedApplication.CreateBuilder(args);
    if (builder.Options.ShowHelp)
    {
        Console.WriteLine(AppHostOptions.Usage);
        return 0;
    }

    var beijing = AddRegion(builder, builder.AddRegion("beijing", isPrimary: true), portOffset: 0);
    var guangzhou = AddRegion(builder, builder.AddRegion("guangzhou"), portOffset: 1);

    // Guangzhou streams Beijing's cluster and follows its events; a failover swaps the roles.
    builder.AddReplication(beijing.Postgres, beijing.RabbitMq, guangzhou.Postgres, guangzhou.RabbitMq);

    // A standby's services pass writes to their peer in the primary region (services__peer__http__0).
    foreach (var (service, project) in beijing.Services)
    {
        project.WithReference(guangzhou.Services[service], "peer");
        guangzhou.Services[service].WithReference(project, "peer");
    }

    await builder.Build().RunAsync();
    return 0;
}
catch (HostingException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

// One region: its broker, its cluster, and its replica of every service, which uses its own region's database and broker.
static RegionResources AddRegion(DistributedApplicationBuilder builder, Region region, int portOffset)
{
    var rabbitmq = builder.AddRabbitMQ($"rabbitmq-{region.Name}", region,
        port: 5680 + portOffset, managementPort: 15680 + portOffset, distributionPort: 25680 + portOffset, epmdPort: 4380 + portOffset);

    // Both regions' clusters share one password, since a standby is a byte copy of its primary: the one Beijing's cluster
    // was created with, so that a state folder from before replication keeps its data (Guangzhou is re-cloned from it).
    var postgres = builder.AddPostgres($"postgres-{region.Name}", region, port: 5440 + portOffset, passwordName: "postgres-beijing");

    // Each region's own SMTP server (MailDev: mail can be read back), so losing one region does not silence the other.
    var mail = builder.AddMailDev($"maildev-{region.Name}", region, smtpPort: 1025 + portOffset, webPort: 1080 + portOffset);

    var servicePort = 7100 + (100 * portOffset);

    var consent = builder.AddProject($"consent-{region.Name}", region, "services/Consent", httpPort: servicePort + 1)
        .WithReference(postgres.AddDatabase("consentdb"))
        .WithReference(rabbitmq, "rabbitmq")
        .WaitFor(postgres)
        .WaitFor(rabbitmq)
        .WithHttpHealthCheck("/health");

    // One key folder for both regions, standing for the key service they share: a value written in Beijing must be
    // readable in Guangzhou after a failover, and a key destroyed by erasure is gone in both.
    var vault = builder.AddProject($"vault-{region.Name}", region, "services/Vault", httpPort: servicePort + 2)
        .WithReference(postgres.AddDatabase("vaultdb"))
        .WithReference(rabbitmq, "rabbitmq")
        .WithReference(consent, "consent")
        .WithEnvironment("PrivacySuite__Vault__KeyDirectory", Path.Combine(builder.StateDir, "vault-keys"))
        .WaitFor(postgres)
        .WaitFor(rabbitmq)
        .WithHttpHealthCheck("/health");

    var retention = builder.AddProject($"retention-{region.Name}", region, "services/Retention", httpPort: servicePort + 3)
        .WithReference(postgres.AddDatabase("retentiondb"))
        .WithReference(rabbitmq, "rabbitmq")
        .WithReference(vault, "vault")
        .WaitFor(postgres)
        .WaitFor(rabbitmq)
        .WithHttpHealthCheck("/health");

    var notifications = builder.AddProject($"notifications-{region.Name}", region, "services/Notifications", httpPort: servicePort + 5)
        .WithReference(postgres.AddDatabase("notificationsdb"))
        .WithReference(rabbitmq, "rabbitmq")
        .WithReference(vault, "vault")
        .WithReference(mail)
        .WaitFor(postgres)
        .WaitFor(rabbitmq)
        .WaitFor(mail)
        .WithHttpHealthCheck("/health");

    var incidents = builder.AddProject($"incidents-{region.Name}", region, "services/Incidents", httpPort: servicePort + 4)
        .WithReference(postgres.AddDatabase("incidentsdb"))
        .WithReference(rabbitmq, "rabbitmq")
        .WithReference(notifications, "notifications")
        .WithReference(retention, "retention")
        .WithReference(vault, "vault")
        .WaitFor(postgres)
        .WaitFor(rabbitmq)
        .WithHttpHealthCheck("/health");

    return new RegionResources(postgres, rabbitmq, new Dictionary<string, ResourceBuilder<ProjectResource>>
    {
        ["consent"] = consent,
        ["vault"] = vault,
        ["retention"] = retention,
        ["notifications"] = notifications,
        ["incidents"] = incidents,
    });
}

internal sealed record RegionResources(
    ResourceBuilder<PostgresResource> Postgres,
    ResourceBuilder<RabbitMqResource> RabbitMq,
    IReadOnlyDictionary<string, ResourceBuilder<ProjectResource>> Services);
