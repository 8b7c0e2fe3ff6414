using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace PrivacySuite.AppHost.Hosting;

public sealed record RabbitMqServerOptions(string Name, string StateDir, int AmqpPort, int ManagementPort, int DistPort, int EpmdPort, string User, string Password)
{
    /// <summary>
    /// True when epmd runs as a process of its own (the AppHost's resource); otherwise the node starts it as a daemon
    /// that outlives the node, and <see cref="RabbitMqServer.StopAsync"/> stops it.
    /// </summary>
    public bool ExternalEpmd { get; init; }

    public IReadOnlyList<string> Plugins { get; init; } =
        ["rabbitmq_management", "rabbitmq_federation", "rabbitmq_federation_management", "rabbitmq_shovel", "rabbitmq_shovel_management"];
}

/// <summary>
/// A RabbitMQ 3.10 node from Debian's package, run as a child process and configured entirely through its
/// environment (INFRA.md): its own HOME and Erlang cookie, a private epmd port, and loopback-only listeners.
/// </summary>
public sealed class RabbitMqServer(RabbitMqServerOptions options, Action<string> output) : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private ChildProcess? _process;

    public RabbitMqServerOptions Options => options;

    public string Directory => Path.Combine(options.StateDir, options.Name);

    public string NodeName => $"{options.Name}@localhost";

    public ChildProcess? Process => _process;

    /// <summary>The AMQP address in Aspire's form, optionally for a virtual host.</summary>
    public string ConnectionString(string? virtualHost = null) => ConnectionString(options.User, options.Password, virtualHost);

    private string ConnectionString(string user, string password, string? virtualHost) =>
        $"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{options.AmqpPort}" +
        (virtualHost is null ? "" : "/" + Uri.EscapeDataString(virtualHost));

    public Uri ManagementUri => new($"http://127.0.0.1:{options.ManagementPort}/");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = Binaries.RabbitMq("rabbitmq-server");
        foreach (var (port, what) in new[] { (options.AmqpPort, "AMQP"), (options.ManagementPort, "management"), (options.DistPort, "distribution") })
        {
            Ports.EnsureFree(port, $"{options.Name} ({what})", $"the {options.Name} port options");
        }

        await PrepareAsync(cancellationToken);
        _process = ChildProcess.Start(server, [], ServerEnvironment(), output);
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(90), cancellationToken);
    }

    /// <summary>Graceful stop (SIGTERM takes about 8 s), then the node's private epmd.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(30));
        }

        await StopEpmdAsync();
    }

    /// <summary>Hard stop: SIGKILL to the node, as a crashed machine would.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(ChildProcess.SigKill, TimeSpan.FromSeconds(5));
        }

        await StopEpmdAsync();
    }

    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken) =>
        _process is { HasExited: false } && await AcceptsClientsAsync(cancellationToken);

    /// <summary>Whether AMQP accepts connections and the management API reports healthy virtual hosts, whoever started the node.</summary>
    public async Task<bool> AcceptsClientsAsync(CancellationToken cancellationToken)
    {
        if (!await Ports.AcceptsConnectionsAsync(options.AmqpPort, cancellationToken))
        {
            return false;
        }

        try
        {
            using var response = await Http.SendAsync(Request(HttpMethod.Get, "api/health/checks/virtual-hosts"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Creates a virtual host and gives the suite's user every permission on it.</summary>
    public async Task CreateVirtualHostAsync(string virtualHost, CancellationToken cancellationToken = default)
    {
        var escaped = Uri.EscapeDataString(virtualHost);
        await SendAsync(HttpMethod.Put, $"api/vhosts/{escaped}", new { }, cancellationToken);
        await SendAsync(HttpMethod.Put, $"api/permissions/{escaped}/{Uri.EscapeDataString(options.User)}",
            new { configure = ".*", write = ".*", read = ".*" }, cancellationToken);
    }

    /// <summary>
    /// Creates or updates a user who is not an administrator (no management tags), with <paramref name="permissions"/>
    /// on <paramref name="virtualHost"/> only, and answers its connection string.
    /// </summary>
    public async Task<string> CreateUserAsync(string user, string password, BrokerPermissions permissions, string virtualHost = "/",
        CancellationToken cancellationToken = default)
    {
        await SendAsync(HttpMethod.Put, $"api/users/{Uri.EscapeDataString(user)}", new { password, tags = "" }, cancellationToken);
        await SendAsync(HttpMethod.Put, $"api/permissions/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(user)}",
            new { configure = permissions.Configure, write = permissions.Write, read = permissions.Read }, cancellationToken);
        return ConnectionString(user, password, virtualHost == "/" ? null : virtualHost);
    }

    /// <summary>Calls the management API (federation upstreams, shovels, queue inspection).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken = default)
    {
        var request = Request(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        var response = await Http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HostingException($"RabbitMQ {options.Name} refused {method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return response;
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(ManagementUri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}")));
        return request;
    }

    /// <summary>The node is configured entirely through its environment (INFRA.md).</summary>
    public Dictionary<string, string?> ServerEnvironment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = Path.Combine(Directory, "home"),
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_PORT"] = options.AmqpPort.ToString(),
            ["RABBITMQ_DIST_PORT"] = options.DistPort.ToString(),
            ["ERL_EPMD_PORT"] = options.EpmdPort.ToString(),
            // The epmd the node starts itself (tests) listens on loopback only, as the AppHost's epmd resource does.
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(Directory, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(Directory, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(Directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(Directory, "log"),
            ["RABBITMQ_PLUGINS_EXPAND_DIR"] = Path.Combine(Directory, "plugins-expand"),
            // An empty env file, so /etc/rabbitmq/rabbitmq-env.conf cannot override any of the above.
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(Directory, "rabbitmq-env.conf"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
        if (options.ExternalEpmd)
        {
            // For every Erlang VM of the node, not only the server's: RabbitMQ starts epmd itself when it finds it gone
            // (its epmd monitor), and when the AppHost stopped the epmd resource before the node, that `epmd -daemon`
            // outlived the suite.
            environment["ERL_FLAGS"] = "-start_epmd false";
        }

        return environment;
    }

    /// <summary>The Erlang cookie, the plugins and rabbitmq.conf, written before every start.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var home = Path.Combine(Directory, "home");
        System.IO.Directory.CreateDirectory(home);
        var cookie = Path.Combine(home, ".erlang.cookie");
        if (!File.Exists(cookie))
        {
            // Written before start: two nodes started at once otherwise race to create it and disagree.
            await File.WriteAllTextAsync(cookie, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)), cancellationToken);
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        }

        await File.WriteAllTextAsync(Path.Combine(Directory, "rabbitmq-env.conf"), "", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(Directory, "enabled_plugins"), $"[{string.Join(',', options.Plugins)}].\n", cancellationToken);
        await File.WriteAllLinesAsync(Path.Combine(Directory, "rabbitmq.conf"),
        [
            $"listeners.tcp.default = 127.0.0.1:{options.AmqpPort}",
            "management.tcp.ip = 127.0.0.1",
            $"management.tcp.port = {options.ManagementPort}",
            $"default_user = {options.User}",
            $"default_pass = {options.Password}",
            "default_user_tags.administrator = true",
            "log.console = true",
            "log.console.level = warning",
            "log.file = false",
        ], cancellationToken);
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new HostingException($"RabbitMQ {options.Name} exited during start-up (code {await _process.Exited}); see its log above.");
            }

            if (await IsHealthyAsync(cancellationToken))
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new HostingException($"RabbitMQ {options.Name} did not become ready within {timeout.TotalSeconds:0} s.");
    }

    private async Task StopEpmdAsync()
    {
        if (!File.Exists("/usr/bin/epmd") && !File.Exists(Path.Combine("/usr/lib/erlang/bin", "epmd")))
        {
            return;
        }

        try
        {
            // epmd refuses while it still lists the node, which it drops only once it sees the node's connection close:
            // right after a SIGKILL that takes a moment.
            for (var attempt = 0; attempt < 25; attempt++)
            {
                var (_, output) = await ChildProcess.RunAsync("epmd", ["-port", options.EpmdPort.ToString(), "-kill"],
                    new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin:/usr/lib/erlang/bin" }, TimeSpan.FromSeconds(10));
                if (!output.Contains("not allowed", StringComparison.Ordinal))
                {
                    return;
                }

                await Task.Delay(200);
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // epmd was not running.
        }
    }
}
