namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// A local SMTP server whose mail can be read back (Aspire's MailDev integration): npm maildev, installed under eng/tools
/// by eng/install-deps.sh. Referencing it gives <c>ConnectionStrings__smtp=smtp://127.0.0.1:PORT</c>.
/// </summary>
public sealed class MailDevResource : Resource, IResourceWithConnectionString
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly MailDevServer _server;

    public MailDevResource(string name, Region region, string stateDir, int smtpPort, int webPort)
        : base(name, region)
    {
        Endpoints.Add(new EndpointAnnotation("smtp", "smtp", smtpPort));
        Endpoints.Add(new EndpointAnnotation("http", "http", webPort));
        _server = new MailDevServer(new MailDevServerOptions(name, stateDir, smtpPort, webPort) { ToolsDirectory = Path.Combine(AppHostPaths.RepoRoot, "eng", "tools") }, Log.Append);
    }

    public override string Type => "MailDev";

    public MailDevServer Server => _server;

    public string ConnectionName => "smtp";

    public string ConnectionString => _server.ConnectionString;

    public Resource Owner => this;

    public override int? ProcessId => _server.Process is { HasExited: false } p ? p.Id : null;

    public override Task<int>? Exited => _server.Process?.Exited;

    public override Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public override Task StopAsync() => _server.StopAsync();

    public override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) => _server.IsHealthyAsync(Http, cancellationToken);
}
