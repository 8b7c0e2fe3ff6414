using PrivacySuite.AppHost;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.AppHost.Regions;
using PrivacySuite.AppHost.Resources;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

// The suite's topology: two regions, each with its own broker, database cluster, SMTP server and replica of every
// service. Ports are fixed so that bookmarks and scripts keep working (PrivacySuite:RandomPorts=true picks free ones).
var builder = DistributedApplication.CreateBuilder(args);
var state = new SuiteState(builder.Configuration);

// Secrets are generated on first run into the state folder and reach the model as secret parameters.
var postgresPassword = builder.AddParameter("postgres-password", state.Secret("postgres-password"), secret: true);
var rabbitmqPassword = builder.AddParameter("rabbitmq-password", state.Secret("rabbitmq-password"), secret: true);
var credentials = DevCredentials.LoadOrCreate(state.StateDir);
// The services' own token key (service-to-service calls); people's tokens are checked with the issuer's public key only.
var signingKey = builder.AddParameter("service-signing-key", credentials.ServicePrivateKey, secret: true);
// The notification service's login at the regions' SMTP servers (MailDev here), sent only after STARTTLS.
var smtpPassword = builder.AddParameter("smtp-password", state.Secret("smtp-password"), secret: true);
// The key of the hashes notifications keeps bounced contacts by (never the address); both regions share its table.
var contactKey = builder.AddParameter("notifications-contact-key", state.Secret("notifications-contact-key"), secret: true);
// The key the webhook endpoints' signing secrets are encrypted under in notifications' database (AES-GCM).
var webhookKey = builder.AddParameter("notifications-webhook-key", state.Secret("notifications-webhook-key"), secret: true);

// Each service connects as a role of its own, owner of its database and nothing else; one password per service serves
// both regions, since replication copies the roles with the data.
var databasePasswords = SuiteServices.All
    .ToDictionary(service => service, service => builder.AddParameter($"{service}-db-password", state.Secret($"{service}-db-password"), secret: true));
// And as a broker user of its own, allowed to publish only its own events (docs/security.md); the AppHost keeps the
// administrator (federation, the operations console).
var brokerPasswords = SuiteServices.All
    .ToDictionary(service => service, service => builder.AddParameter($"{service}-rabbitmq-password", state.Secret($"{service}-rabbitmq-password"), secret: true));

var roles = new RegionRoles(state.StateDir, initialPrimary: "beijing");
var beijing = AddRegion("beijing", offset: 0);
var guangzhou = AddRegion("guangzhou", offset: 1);

// A standby's services pass writes to their peer in the primary region (services__peer__http__0).
foreach (var (service, project) in beijing.Services)
{
    project.WithReference(guangzhou.Services[service], "peer");
    guangzhou.Services[service].WithReference(project, "peer");
}

builder.AddRegionCoordination([beijing.Resources, guangzhou.Resources], roles);
AddOperationsConsole([beijing, guangzhou]);
AddPrivacyCentre([beijing, guangzhou]);
builder.Build().Run();

// The privacy-operations views Aspire's dashboard has no notion of (incidents and their regulator countdown, queues and
// outboxes, subject requests, sweeps and holds, notices, regions): one console for both regions, signed in with its own
// password, reading the services with a person's token for the operations team's roles (read-only).
void AddOperationsConsole(IEnumerable<(RegionResources Resources, Dictionary<string, IResourceBuilder<ProjectResource>> Services)> regions)
{
    var password = builder.AddParameter("operations-password", state.Secret("operations-password"), secret: true);
    // Minted at each start; a suite that runs longer than this restarts the AppHost (docs/operations.md).
    var token = builder.AddParameter("operations-token",
        credentials.IssueToken("operations-console", [SuiteRoles.Operator, SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer], TimeSpan.FromDays(7)), secret: true);
    var console = builder.AddProject<Projects.PrivacySuite_Operations>("operations")
        .WithHttpEndpoint(port: state.Port(7100), name: "http", isProxied: false)
        .WithUrlForEndpoint("http", url => url.DisplayText = "Operations console")
        .WithHttpHealthCheck("/health")
        .WithEnvironment("PrivacySuite__Operations__Password", password)
        .WithEnvironment("PrivacySuite__Operations__Token", token)
        .WithEnvironment("PrivacySuite__Operations__RabbitMqPassword", rabbitmqPassword);
    var index = 0;
    foreach (var (resources, services) in regions)
    {
        var region = resources.Name;
        console.WithEnvironment($"PrivacySuite__Operations__Regions__{index++}", region);
        foreach (var service in new[] { "consent", "incidents", "vault", "notifications", "retention" })
        {
            console.WithReference(services[service], $"{service}-{region}");
        }

        var rabbitmq = builder.CreateResourceBuilder(resources.RabbitMq);
        console.WithReference(builder.CreateResourceBuilder(resources.Postgres))
            .WithReference(rabbitmq.GetEndpoint("management"));
    }
}

// The people's own face (issue 20.1): they sign in with a one-time code and see and change their consents, see, download,
// correct or erase their data, follow their requests, and see who read it. One centre for both regions; it mints the
// people's tokens with a key of its own, whose tokens the services take as the role subject only (docs/security.md).
void AddPrivacyCentre(IEnumerable<(RegionResources Resources, Dictionary<string, IResourceBuilder<ProjectResource>> Services)> regions)
{
    var key = builder.AddParameter("privacy-centre-signing-key", credentials.PrivacyCentrePrivateKey, secret: true);
    var centre = builder.AddProject<Projects.PrivacySuite_PrivacyCentre>("privacy-centre")
        .WithHttpEndpoint(port: state.Port(7300), name: "http", isProxied: false)
        .WithUrlForEndpoint("http", url => url.DisplayText = "Privacy centre")
        .WithHttpHealthCheck("/health")
        .WithEnvironment("PrivacySuite__PrivacyCentre__SigningKey", key);
    var index = 0;
    foreach (var (resources, services) in regions)
    {
        var region = resources.Name;
        centre.WithEnvironment($"PrivacySuite__PrivacyCentre__Regions__{index++}", region);
        foreach (var service in SuiteServices.CalledByPrivacyCentre)
        {
            centre.WithReference(services[service], $"{service}-{region}");
        }

        // The centre calls the vault's sign-in and retention's receipts for people not signed in, naming them in
        // X-Forwarded-For so that per-address limits count the person; those two take the header from the centre's host
        // only (here loopback, where every process of the suite is).
        services["vault"].WithEnvironment("PrivacySuite__TrustedProxies__0", "127.0.0.1");
        services["retention"].WithEnvironment("PrivacySuite__TrustedProxies__0", "127.0.0.1")
            .WithEnvironment("PrivacySuite__Retention__CancellationReceiptUrl", ReferenceExpression.Create($"{centre.GetEndpoint("http")}/receipt.html"))
            // A termination notice's export link: the centre's data section, where the person downloads what the vault holds.
            .WithEnvironment("PrivacySuite__Retention__DataExportUrl", ReferenceExpression.Create($"{centre.GetEndpoint("http")}/#/data"));
    }
}

// One region: its broker, its cluster, its SMTP server, and its replica of every service, which uses its own region's
// database and broker.
(RegionResources Resources, Dictionary<string, IResourceBuilder<ProjectResource>> Services) AddRegion(string region, int offset)
{
    var rabbitmq = builder.AddRabbitMqNode($"rabbitmq-{region}", region,
        (state.Port(5680 + offset), state.Port(15680 + offset), state.Port(25680 + offset), state.Port(4380 + offset)), state, rabbitmqPassword);
    var postgres = builder.AddPostgresCluster($"postgres-{region}", region, state.Port(5440 + offset), state, postgresPassword);
    var mail = builder.AddMailDev($"maildev-{region}", state.Port(1025 + offset), state.Port(1080 + offset), state, smtpPassword);
    var servicePort = 7100 + (100 * offset);

    IResourceBuilder<ProjectResource> Service<TProject>(string name, int port, string database)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>($"{name}-{region}")
            .WithHttpEndpoint(port: state.Port(port), name: "http", isProxied: false)
            .WithHttpHealthCheck("/health")
            .WithReference(postgres.AddDatabase(database, owner: name, databasePasswords[name]), connectionName: database)
            .WithReference(rabbitmq.AddServiceUser(name, brokerPasswords[name]), connectionName: "rabbitmq")
            .WithEnvironment("PrivacySuite__Region", region)
            .WithEnvironment("PrivacySuite__Auth__SigningKey", signingKey)
            .WithEnvironment(context =>
            {
                foreach (var (key, value) in credentials.ToEnvironment().Where(e => e.Key != "PrivacySuite__Auth__SigningKey"))
                {
                    context.EnvironmentVariables[key] = value;
                }
            })
            .WaitFor(postgres)
            .WaitFor(rabbitmq);

    var consent = Service<Projects.PrivacySuite_Consent>("consent", servicePort + 1, "consentdb");

    // One key folder for both regions, standing for the key service they share: a value written in Beijing must be
    // readable in Guangzhou after a failover, and a key destroyed by erasure is gone in both.
    var vault = Service<Projects.PrivacySuite_Vault>("vault", servicePort + 2, "vaultdb")
        .WithReference(consent, "consent")
        .WithEnvironment("PrivacySuite__Vault__KeyDirectory", Path.Combine(state.StateDir, "vault-keys"));

    // Consent spends a guardian's one-time code at the vault when it records the guardian's consent (issue 18.3). A
    // reference only, no WaitFor: the vault waits for nothing of consent's either, and each answers the other once up.
    consent.WithReference(vault, "vault");

    var retention = Service<Projects.PrivacySuite_Retention>("retention", servicePort + 3, "retentiondb")
        .WithReference(vault, "vault");

    var notifications = Service<Projects.PrivacySuite_Notifications>("notifications", servicePort + 5, "notificationsdb")
        .WithReference(vault, "vault")
        .WithReference(mail, connectionName: "smtp")
        // The server's self-signed certificate, trusted for that server and nothing else.
        .WithEnvironment("PrivacySuite__Notifications__SmtpTrustedCertificate", mail.Resource.Server.CertificatePath)
        .WithEnvironment("PrivacySuite__Notifications__ContactKey", contactKey)
        .WithEnvironment("PrivacySuite__Notifications__Webhooks__SecretKey", webhookKey)
        // A development rota of one, paged by e-mail into MailDev (no push or SMS gateway runs here). A deployment names
        // its people and their contacts in the same settings, from its secret store (docs/notifications.md).
        .WithEnvironment("PrivacySuite__Notifications__OnCall__Responders__dev-on-call__Language", "zh-CN")
        .WithEnvironment("PrivacySuite__Notifications__OnCall__Responders__dev-on-call__Email", "on-call@privacysuite.local")
        .WithEnvironment("PrivacySuite__Notifications__OnCall__Rota__0", "dev-on-call")
        .WithEnvironment("PrivacySuite__Notifications__OnCall__RotaStart", "2026-01-05T09:00:00+08:00")
        .WaitFor(mail);

    var incidents = Service<Projects.PrivacySuite_Incidents>("incidents", servicePort + 4, "incidentsdb")
        .WithReference(notifications, "notifications")
        .WithReference(retention, "retention")
        .WithReference(vault, "vault");

    var services = new Dictionary<string, IResourceBuilder<ProjectResource>>
    {
        ["consent"] = consent,
        ["vault"] = vault,
        ["retention"] = retention,
        ["notifications"] = notifications,
        ["incidents"] = incidents,
    };
    var resources = new RegionResources(region, "CN", postgres.Resource, rabbitmq.Resource);
    resources.Members.AddRange([rabbitmq.Resource, postgres.Resource, mail.Resource, .. services.Values.Select(s => s.Resource)]);
    return (resources, services);
}
