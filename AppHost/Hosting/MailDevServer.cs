using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PrivacySuite.AppHost.Hosting;

public sealed record MailDevServerOptions(string Name, string StateDir, int SmtpPort, int WebPort)
{
    /// <summary>Where <c>npm ci</c> put maildev (eng/tools, see eng/install-deps.sh); found from the current folder up when null.</summary>
    public string? ToolsDirectory { get; init; }

    /// <summary>
    /// The password mail is accepted with (user <see cref="MailDevServer.User"/>), after STARTTLS with a certificate
    /// generated under the state folder, as a relay requires. Null: any client may send, in plain text.
    /// </summary>
    public string? Password { get; init; }

    /// <summary>
    /// False only to play a relay that takes AUTH in plain text (no STARTTLS offered): a client with credentials must
    /// refuse it. Not for anything but that test.
    /// </summary>
    public bool StartTls { get; init; } = true;
}

/// <summary>
/// A local SMTP server with an HTTP API to read mail back (npm maildev 2.2.1, installed by eng/install-deps.sh, run by
/// <c>eng/tools/maildev.js</c>), for development and tests. With a password it requires STARTTLS, then AUTH, then takes
/// mail, as a real relay does; its certificate is generated into the state folder and given to the services to trust.
/// Recipients in the <c>.invalid</c> domain are refused at RCPT (550 5.1.1), as a relay refuses a domain that cannot exist.
/// </summary>
public sealed class MailDevServer(MailDevServerOptions options, Action<string> output) : IAsyncDisposable
{
    /// <summary>The one user the server takes mail from: the notification service.</summary>
    public const string User = "notifications";

    private ChildProcess? _process;

    public MailDevServerOptions Options => options;

    /// <summary>
    /// The connection string a service gets, in the form Aspire gives it: <c>smtp://user:password@127.0.0.1:PORT</c>
    /// with a password (STARTTLS is then required), <c>smtp://127.0.0.1:PORT</c> without. Holds the password: never log it.
    /// </summary>
    public string ConnectionString => options.Password is { } password
        ? $"smtp://{User}:{Uri.EscapeDataString(password)}@127.0.0.1:{options.SmtpPort}"
        : $"smtp://127.0.0.1:{options.SmtpPort}";

    /// <summary>The server's certificate (PEM), for the services to trust (<c>PrivacySuite__Notifications__SmtpTrustedCertificate</c>).</summary>
    public string CertificatePath => Path.Combine(options.StateDir, options.Name, "tls", "cert.pem");

    private string KeyPath => Path.Combine(options.StateDir, options.Name, "tls", "key.pem");

    private bool UsesTls => options.Password is not null && options.StartTls;

    /// <summary>The user and password as maildev reads them from its environment: never on its command line, which any local user can read.</summary>
    public IReadOnlyDictionary<string, string?> ServerEnvironment => options.Password is { } password
        ? new Dictionary<string, string?> { ["MAILDEV_INCOMING_USER"] = User, ["MAILDEV_INCOMING_PASS"] = password }
        : new Dictionary<string, string?>();

    /// <summary>The web API: <c>GET /email</c>, <c>DELETE /email/all</c>, <c>GET /healthz</c>.</summary>
    public Uri WebAddress => new($"http://127.0.0.1:{options.WebPort}/");

    public ChildProcess? Process => _process;

    /// <summary>node running maildev on the configured ports, its mail kept under the state folder; with TLS, its certificate made first.</summary>
    public (string Program, IReadOnlyList<string> Arguments) ServerCommand()
    {
        var maildev = Path.Combine(FindToolsDirectory(), "maildev.js");
        var node = FindOnPath("node") ?? throw new HostingException(
            "node is missing: install it with 'apt-get install -y nodejs npm', then run ./eng/install-deps.sh.");
        var mailDirectory = Path.Combine(options.StateDir, options.Name, "mail");
        Directory.CreateDirectory(mailDirectory);
        List<string> arguments =
            [maildev, "--smtp", options.SmtpPort.ToString(), "--web", options.WebPort.ToString(), "--ip", "127.0.0.1",
             "--web-ip", "127.0.0.1", "--mail-directory", mailDirectory, "--silent"];
        if (UsesTls)
        {
            EnsureCertificate();
            arguments.AddRange(["--incoming-cert", CertificatePath, "--incoming-key", KeyPath]);
        }

        return (node, arguments);
    }

    /// <summary>
    /// A self-signed certificate for 127.0.0.1 and localhost, made on first run and again a month before it expires; its
    /// key is readable by this user only. Services trust exactly this certificate, through their configuration.
    /// </summary>
    private void EnsureCertificate()
    {
        if (File.Exists(KeyPath) && File.Exists(CertificatePath))
        {
            using var existing = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
            if (existing.NotAfter > DateTime.Now.AddDays(30))
            {
                return;
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(CertificatePath)!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (program, arguments) = ServerCommand();
        Ports.EnsureFree(options.SmtpPort, options.Name, $"the {options.Name} SMTP port option");
        Ports.EnsureFree(options.WebPort, options.Name, $"the {options.Name} web port option");
        _process = ChildProcess.Start(program, arguments, ServerEnvironment, output);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await IsHealthyAsync(http, cancellationToken))
        {
            if (_process.HasExited)
            {
                throw new HostingException($"{options.Name} (maildev) exited during start-up with code {await _process.Exited}; see its output.");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new HostingException($"{options.Name} (maildev) did not answer /healthz within 30 s.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async Task<bool> IsHealthyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        if (_process is null || _process.HasExited)
        {
            return false;
        }

        try
        {
            using var response = await http.GetAsync(new Uri(WebAddress, "healthz"), cancellationToken);
            return response.IsSuccessStatusCode && await Ports.AcceptsConnectionsAsync(options.SmtpPort, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public Task StopAsync() => _process?.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(5)) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;

    private string FindToolsDirectory()
    {
        if (options.ToolsDirectory is { } configured)
        {
            return Require(configured);
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "eng", "tools");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return Require(candidate);
                }
            }
        }

        throw new HostingException("eng/tools/package.json was not found above the current folder; run from the repository.");
    }

    private static string Require(string toolsDirectory) =>
        File.Exists(Path.Combine(toolsDirectory, "node_modules", "maildev", "bin", "maildev")) && File.Exists(Path.Combine(toolsDirectory, "maildev.js"))
            ? toolsDirectory
            : throw new HostingException($"maildev is not installed in {toolsDirectory}: run ./eng/install-deps.sh (it runs 'npm ci' there).");

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
