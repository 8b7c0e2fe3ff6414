using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// The notification service on real PostgreSQL, RabbitMQ and SMTP (maildev), with local HTTP servers standing in for
/// the vault (same contract) and for the push and SMS gateways. Each factory has its own mail domain.
/// </summary>
public class NotificationsFactory() : ServiceFactory<Program>("notificationsdb")
{
    private readonly List<LocalHttpServer> _servers = [];

    public VaultStandIn Vault { get; private set; } = new();

    public GatewayReceiver Push { get; private set; } = new();

    public GatewayReceiver Sms { get; private set; } = new();

    public MailDev Mail { get; private set; } = null!;

    /// <summary>Recipients of this factory's tests live under this domain, so tests read back only their own mail.</summary>
    public string MailDomain { get; } = $"t{Guid.NewGuid():N}"[..13] + ".example";

    public string Address(string subjectId) => $"{subjectId}@{MailDomain}";

    private readonly ConcurrentQueue<string> _logged = new();

    /// <summary>Everything the host logged so far, to check that no address or secret is ever in a log.</summary>
    public string LoggedText => string.Join("\n", _logged);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(new LineLoggerProvider(_logged.Enqueue)));
    }

    /// <summary>The key bounced contacts are hashed with, as the AppHost generates one.</summary>
    public string ContactKey { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The key webhook secrets are encrypted under, as the AppHost generates one.</summary>
    public string WebhookKey { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>Settings a subclass wants (rates, timeouts); applied before the host starts.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
        settings["PrivacySuite:Notifications:RetryBaseDelay"] = "00:00:00.050";
        settings["PrivacySuite:Notifications:PollInterval"] = "00:00:00.200";
        // Fewer SMTP sessions than workers, so the tests that send mail also wait for a shared session.
        settings["PrivacySuite:Notifications:SmtpSessions"] = "4";
        settings["PrivacySuite:Notifications:ContactKey"] = ContactKey;
        settings["PrivacySuite:Notifications:Webhooks:SecretKey"] = WebhookKey;
        // Webhook retries a second apart (then doubling), so a test sees a retry soon and with a later timestamp.
        settings["PrivacySuite:Notifications:Webhooks:BackoffBase"] = "00:00:01";
        settings["PrivacySuite:Notifications:Webhooks:PollInterval"] = "00:00:00.200";
        settings["PrivacySuite:Notifications:Webhooks:Timeout"] = "00:00:05";
    }

    public override async Task InitializeAsync()
    {
        Mail = await MailDev.GetAsync();
        await StartFarSidesAsync();
        foreach (var (key, value) in Mail.ServiceSettings)
        {
            Settings[key] = value;
        }

        Configure(Settings);
        await base.InitializeAsync();
    }

    protected virtual async Task StartFarSidesAsync()
    {
        var vault = await LocalHttpServer.StartAsync(Vault.HandleAsync);
        var push = await LocalHttpServer.StartAsync(Push.HandleAsync);
        var sms = await LocalHttpServer.StartAsync(Sms.HandleAsync);
        _servers.AddRange([vault, push, sms]);
        Vault.Credentials = Credentials;
        Settings["services:vault:http:0"] = vault.Address.ToString();
        Settings["services:pushgateway:http:0"] = push.Address.ToString();
        Settings["services:smsgateway:http:0"] = sms.Address.ToString();
    }

    /// <summary>A snapshot of every setting this host runs with, for a second host on the same database and broker.</summary>
    public IReadOnlyDictionary<string, string?> SettingsSnapshot => new Dictionary<string, string?>(Settings);

    protected void ShareFarSidesWith(NotificationsFactory other)
    {
        Vault = other.Vault;
        Push = other.Push;
        Sms = other.Sms;
    }

    /// <summary>Runs SQL against the service's database and returns the first column of each row as text.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString()!);
        }

        return rows;
    }

    /// <summary>Stops the service's host (gracefully, as a deployment or a node drain does); the far sides and the database stay.</summary>
    public async Task StopHostAsync() => await base.DisposeAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A second host of the same service on the first one's database, broker, far sides and credentials: a restart.</summary>
public sealed class RestartedNotificationsFactory(NotificationsFactory previous) : NotificationsFactory
{
    protected override Task StartFarSidesAsync()
    {
        ShareFarSidesWith(previous);
        return Task.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Added after the base configuration, so the previous host's database, virtual host and keys win.
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(previous.SettingsSnapshot));
    }
}
