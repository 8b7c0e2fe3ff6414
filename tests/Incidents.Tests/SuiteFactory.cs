extern alias notifications;
extern alias vault;

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrivacySuite.Incidents.Infrastructure;
using PrivacySuite.ServiceDefaults.Auth;
using VaultContacts = notifications::PrivacySuite.Notifications.Infrastructure.VaultContacts;

namespace PrivacySuite.Incidents.Tests;

/// <summary>
/// Another real service of the suite beside the incidents service: a database of its own, the incidents service's
/// virtual host (one broker between them) and the same credentials (a service token one signs validates at the other).
/// </summary>
public abstract class SuiteService<TProgram>(string databaseName, DevCredentials credentials, string rabbitMq)
    : ServiceFactory<TProgram>(databaseName, credentials: credentials)
    where TProgram : class
{
    public override Task InitializeAsync()
    {
        SharedBroker = rabbitMq;
        return base.InitializeAsync();
    }

    /// <summary>The first column of each row of <paramref name="sql"/> on this service's database.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetFieldValue<T>(0));
        }

        return rows;
    }
}

/// <summary>The real vault.</summary>
public sealed class VaultHost(DevCredentials credentials, string rabbitMq) : SuiteService<vault::Program>("vaultdb", credentials, rabbitMq)
{
    public string KeyDirectory { get; } = Path.Combine(Path.GetTempPath(), "vault-keys-" + Guid.NewGuid().ToString("N"), "keys");

    public override Task InitializeAsync()
    {
        Settings["PrivacySuite:Vault:KeyDirectory"] = KeyDirectory;
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.200";
        // Contact reads for notices do not ask the consent service; nothing here does.
        Settings["services:consent:http:0"] = "http://127.0.0.1:9";
        // The drill seeds its subjects in bulk with data keys wrapped by the KEK alone (see VaultSeeder): the vault
        // would give each of them a key file on its next upgrade round, a million files the drill does not need.
        Settings["PrivacySuite:Vault:KeyFileUpgradeInterval"] = "1.00:00:00";
        return base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(KeyDirectory)!, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary folder.
        }
    }
}

/// <summary>The real notification service, asking the real vault for contacts; push goes to <paramref name="push"/>, e-mail to MailDev.</summary>
public sealed class NotificationsHost(DevCredentials credentials, string rabbitMq, VaultHost vault, Uri push, MailDev mail, IReadOnlyDictionary<string, string?> settings)
    : SuiteService<notifications::Program>("notificationsdb", credentials, rabbitMq)
{
    public override Task InitializeAsync()
    {
        foreach (var (key, value) in mail.ServiceSettings)
        {
            Settings[key] = value;
        }

        Settings["PrivacySuite:Notifications:ContactKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        Settings["PrivacySuite:Notifications:Webhooks:SecretKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        Settings["services:pushgateway:http:0"] = push.ToString();
        Settings["services:vault:http:0"] = "http://localhost";
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.200";
        Settings["PrivacySuite:Notifications:PollInterval"] = "00:00:00.200";
        foreach (var (key, value) in settings)
        {
            Settings[key] = value;
        }

        return base.InitializeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddHttpClient(VaultContacts.ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => vault.Server.CreateHandler()));
    }
}

/// <summary>
/// A push gateway's far side: counts the messages it takes per address (the address is the subject's push token),
/// so a test sees from outside the suite how often each person was told.
/// </summary>
public sealed class PushReceiver
{
    public ConcurrentDictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

    /// <summary>The first message taken in each language (<c>zh-CN</c>, <c>en</c>, or both as <c>zh-CN,en</c>).</summary>
    public ConcurrentDictionary<string, (string To, string Title, string Body)> FirstByLanguage { get; } = new(StringComparer.Ordinal);

    public int Total;

    public async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != "POST" || context.Request.Path != "/v1/messages")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var message = await context.Request.ReadFromJsonAsync<PushMessage>();
        if (message?.To is not { Length: > 0 } to)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Received.AddOrUpdate(to, 1, (_, n) => n + 1);
        Interlocked.Increment(ref Total);
        FirstByLanguage.TryAdd(message.Language ?? "", (to, message.Title ?? "", message.Body ?? ""));

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private sealed record PushMessage(string? To, string? Title, string? Body, string? Language);
}

/// <summary>
/// The incidents service with the real vault and the real notification service beside it on one broker: subjects are
/// resolved from the vault, notices are sent by notifications (contacts from the vault at send time), e-mail reaches
/// MailDev and push messages a counting receiver.
/// </summary>
public class SuiteFactory : IncidentsFactory
{
    private LocalHttpServer? _pushServer;

    public VaultHost RealVault { get; private set; } = null!;

    public NotificationsHost Notifications { get; private set; } = null!;

    public PushReceiver Push { get; } = new();

    public MailDev Mail { get; private set; } = null!;

    /// <summary>Settings of the notification service a subclass wants (rates, batch sizes).</summary>
    protected virtual IReadOnlyDictionary<string, string?> NotificationSettings => new Dictionary<string, string?>();

    // The vault's address: requests go to its in-memory server (below), whatever the host name.
    protected override Task<string> StartVaultAsync() => Task.FromResult("http://localhost");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var rabbit = BrokerConnectionString;
        RealVault = new VaultHost(Credentials, rabbit);
        await RealVault.InitializeAsync();
        Mail = await MailDev.GetAsync();
        _pushServer = await LocalHttpServer.StartAsync(Push.HandleAsync);
        Notifications = new NotificationsHost(Credentials, rabbit, RealVault, _pushServer.Address, Mail, NotificationSettings);
        await Notifications.InitializeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddHttpClient<VaultClient>()
            .ConfigurePrimaryHttpMessageHandler(() => RealVault.Server.CreateHandler()));
    }

    /// <summary>A product backend's client of the vault (stores personal data through the API).</summary>
    public HttpClient VaultBackend() => RealVault.CreateProductBackendClient();

    public override async ValueTask DisposeAsync()
    {
        if (Notifications is not null)
        {
            await Notifications.DisposeAsync();
        }

        if (RealVault is not null)
        {
            await RealVault.DisposeAsync();
        }

        if (_pushServer is not null)
        {
            await _pushServer.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
