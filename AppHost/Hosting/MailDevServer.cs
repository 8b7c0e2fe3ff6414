namespace PrivacySuite.AppHost.Hosting;

public sealed record MailDevServerOptions(string Name, string StateDir, int SmtpPort, int WebPort)
{
    /// <summary>Where <c>npm ci</c> put maildev (eng/tools, see eng/install-deps.sh); found from the current folder up when null.</summary>
    public string? ToolsDirectory { get; init; }
}

/// <summary>
/// A local SMTP server with an HTTP API to read mail back (npm maildev 2.2.1, installed by eng/install-deps.sh), for
/// development and tests: what Aspire's MailDev integration gives, as <c>ConnectionStrings__smtp=smtp://127.0.0.1:PORT</c>.
/// </summary>
public sealed class MailDevServer(MailDevServerOptions options, Action<string> output) : IAsyncDisposable
{
    private ChildProcess? _process;

    public MailDevServerOptions Options => options;

    /// <summary>The connection string a service gets, in the form Aspire gives it.</summary>
    public string ConnectionString => $"smtp://127.0.0.1:{options.SmtpPort}";

    /// <summary>The web API: <c>GET /email</c>, <c>DELETE /email/all</c>, <c>GET /healthz</c>.</summary>
    public Uri WebAddress => new($"http://127.0.0.1:{options.WebPort}/");

    public ChildProcess? Process => _process;

    /// <summary>node running maildev on the configured ports, its mail kept under the state folder.</summary>
    public (string Program, IReadOnlyList<string> Arguments) ServerCommand()
    {
        var maildev = Path.Combine(FindToolsDirectory(), "node_modules", "maildev", "bin", "maildev");
        var node = FindOnPath("node") ?? throw new HostingException(
            "node is missing: install it with 'apt-get install -y nodejs npm', then run ./eng/install-deps.sh.");
        var mailDirectory = Path.Combine(options.StateDir, options.Name, "mail");
        Directory.CreateDirectory(mailDirectory);
        return (node,
            [maildev, "--smtp", options.SmtpPort.ToString(), "--web", options.WebPort.ToString(), "--ip", "127.0.0.1",
             "--web-ip", "127.0.0.1", "--mail-directory", mailDirectory, "--silent"]);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (program, arguments) = ServerCommand();
        Ports.EnsureFree(options.SmtpPort, options.Name, $"the {options.Name} SMTP port option");
        Ports.EnsureFree(options.WebPort, options.Name, $"the {options.Name} web port option");
        _process = ChildProcess.Start(program, arguments, new Dictionary<string, string?>(), output);

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
        File.Exists(Path.Combine(toolsDirectory, "node_modules", "maildev", "bin", "maildev"))
            ? toolsDirectory
            : throw new HostingException($"maildev is not installed in {toolsDirectory}: run ./eng/install-deps.sh (it runs 'npm ci' there).");

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
