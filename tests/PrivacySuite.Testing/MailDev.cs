using System.Net.Http.Json;
using System.Text.Json.Serialization;
using PrivacySuite.AppHost.Hosting;

namespace PrivacySuite.Testing;

/// <summary>
/// One real SMTP server (npm maildev, through the AppHost's MailDevServer) per test process, for tests that read back
/// what the notification service sent. Like the suite's, it requires STARTTLS and then AUTH (a password of this test
/// process), with a certificate of its own that only the service's settings trust. Test classes never clear it: each
/// uses recipient addresses of its own and reads back only those.
/// </summary>
public sealed class MailDev
{
    private static readonly Lazy<Task<MailDev>> Shared = new(StartAsync);
    private readonly HttpClient _http;

    private MailDev(MailDevServer server)
    {
        Server = server;
        _http = new HttpClient { BaseAddress = server.WebAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public MailDevServer Server { get; }

    /// <summary>What the notification service needs to send here: the connection string (with the password) and the certificate to trust.</summary>
    public IReadOnlyDictionary<string, string?> ServiceSettings => new Dictionary<string, string?>
    {
        ["ConnectionStrings:smtp"] = Server.ConnectionString,
        ["PrivacySuite:Notifications:SmtpTrustedCertificate"] = Server.CertificatePath,
    };

    public static Task<MailDev> GetAsync() => Shared.Value;

    /// <summary>A server of the caller's own (stopped when the process exits), for a test that needs one configured otherwise.</summary>

    /// <summary>Every mail the server holds that was addressed to an address ending in <paramref name="domain"/>.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> MailToAsync(string domain)
    {
        var all = await _http.GetFromJsonAsync<List<ReceivedMail>>("email") ?? [];
        return all.Where(m => m.To.Any(t => t.Address.EndsWith(domain, StringComparison.OrdinalIgnoreCase))).ToList();
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> mails to <paramref name="recipientOrDomain"/> are visible: the server
    /// answers 250 before the mail shows in its API, so a test reads back only after this.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedMail>> ArrivedAsync(string recipientOrDomain, int count = 1)
    {
        IReadOnlyList<ReceivedMail> mail = [];
        await Eventually.HoldsAsync(
            async () => (mail = await MailToAsync(recipientOrDomain)).Count >= count,
            TimeSpan.FromSeconds(60),
            $"{count} mails to {recipientOrDomain} arrive");
        return mail;
    }

    private static Task<MailDev> StartAsync() => StartAsync("maildev-test", options => options);

    /// <summary>A server of the caller's own (stopped when the process exits), for a test that needs one configured otherwise.</summary>
    public static async Task<MailDev> StartAsync(string name, Func<MailDevServerOptions, MailDevServerOptions> configure)
    {
        // Under the run's root, like the broker and the database: eng/test.sh stops what a test host left running there.
        var stateDir = SuiteInfrastructure.NewStateDir();
        var options = configure(new MailDevServerOptions(name, stateDir, Ports.GetFree(), Ports.GetFree())
        {
            Password = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        });
        var server = new MailDevServer(options, TestOutput.Sink(name));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                server.StopAsync().Wait(TimeSpan.FromSeconds(10));
                Directory.Delete(stateDir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or AggregateException)
            {
                // Best effort at exit.
            }
        };
        await server.StartAsync(CancellationToken.None);
        return new MailDev(server);
    }
}

public sealed record ReceivedMail(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("to")] IReadOnlyList<MailAddressee> To,
    [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, object>? Headers)
{
    public string Recipient => To[0].Address;
}

public sealed record MailAddressee([property: JsonPropertyName("address")] string Address);
