using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace PrivacySuite.Cli;

/// <summary>
/// <c>privacy region status | failover --to REGION | rejoin REGION</c>: the operator's failover, through the AppHost's
/// own API (the same one behind the dashboard's button). The AppHost writes its address and token to dashboard.json in
/// its state folder on every start.
/// </summary>
public static class RegionCommands
{
    public const string AppHostVariable = "PRIVACY_APPHOST_URL";
    public const string AppHostTokenVariable = "PRIVACY_APPHOST_TOKEN";
    public const string DefaultStateDir = ".suite";

    private static readonly Option<string?> AppHost = new("--apphost") { Description = $"AppHost dashboard address (or {AppHostVariable}, or STATE/dashboard.json)", Recursive = true };
    private static readonly Option<string?> AppHostToken = new("--apphost-token") { Description = $"Dashboard token (or {AppHostTokenVariable}, or STATE/dashboard.json)", Recursive = true };
    private static readonly Option<string?> StateDir = new("--state-dir") { Description = $"The AppHost's state folder (default {DefaultStateDir})", Recursive = true };

    public static Command Build(IAnsiConsole console, Func<ApiConnection, HttpClient> clients)
    {
        var region = new Command("region", "Regions: roles, replication, failover and rejoin") { AppHost, AppHostToken, StateDir };

        var status = new Command("status", "Region roles, replication mode and lag, the last failover");
        status.SetAction((parse, ct) => Run(parse, console, clients, async http =>
            Show(console, await GetAsync(http, "/api/regions", ct))));
        region.Subcommands.Add(status);

        var to = new Option<string>("--to") { Required = true, Description = "The region to promote, e.g. guangzhou" };
        var failover = new Command("failover", "Promote the standby region; the old primary is fenced and rejoins as the standby") { to };
        failover.SetAction((parse, ct) => Run(parse, console, clients, async http =>
        {
            var report = await SendAsync(http, HttpMethod.Post, "/api/regions/failover", new { to = parse.GetValue(to) }, ct);
            console.MarkupLine($"[green]Failover {Markup.Escape(report.GetProperty("from").GetString()!)} -> {Markup.Escape(report.GetProperty("to").GetString()!)} done in {report.GetProperty("seconds").GetDouble().ToString("0.00", CultureInfo.InvariantCulture)} s[/]");
            foreach (var step in report.GetProperty("steps").EnumerateArray())
            {
                console.WriteLine("  " + step.GetString());
            }
        }));
        region.Subcommands.Add(failover);

        var name = new Argument<string>("region") { Description = "The region to bring back, e.g. beijing" };
        var rejoin = new Command("rejoin", "Start a lost region again; its database rejoins as the standby of the primary") { name };
        rejoin.SetAction((parse, ct) => Run(parse, console, clients, async http =>
        {
            await SendAsync(http, HttpMethod.Post, $"/api/regions/{Uri.EscapeDataString(parse.GetValue(name)!)}/rejoin", null, ct);
            console.MarkupLine($"[green]{Markup.Escape(parse.GetValue(name)!)} is starting; `privacy region status` shows when it streams again.[/]");
        }));
        region.Subcommands.Add(rejoin);
        return region;
    }

    /// <summary>Options first, then the environment, then the state folder's dashboard.json.</summary>
    public static ApiConnection Resolve(string? apphost, string? token, string? stateDir)
    {
        apphost ??= Environment.GetEnvironmentVariable(AppHostVariable);
        token ??= Environment.GetEnvironmentVariable(AppHostTokenVariable);
        var file = Path.Combine(stateDir ?? DefaultStateDir, "dashboard.json");
        if ((apphost is null || token is null) && File.Exists(file))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            apphost ??= document.RootElement.GetProperty("url").GetString();
            token ??= document.RootElement.GetProperty("token").GetString();
        }

        if (!Uri.TryCreate(apphost, UriKind.Absolute, out var address) || string.IsNullOrWhiteSpace(token))
        {
            throw new CliException($"The AppHost is not known: run from the folder that holds {DefaultStateDir}/ (or pass --state-dir), " +
                                   $"or pass --apphost URL and --apphost-token TOKEN (the dashboard's), or set {AppHostVariable} and {AppHostTokenVariable}.");
        }

        return new ApiConnection(address, token);
    }

    private static async Task<int> Run(ParseResult parse, IAnsiConsole console, Func<ApiConnection, HttpClient> clients, Func<HttpClient, Task> action)
    {
        try
        {
            using var http = clients(Resolve(parse.GetValue(AppHost), parse.GetValue(AppHostToken), parse.GetValue(StateDir)));
            await action(http);
            return 0;
        }
        catch (CliException e)
        {
            console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return 1;
        }
        catch (HttpRequestException e)
        {
            console.MarkupLine($"[red]The AppHost cannot be reached: {Markup.Escape(e.Message)}. Is it running (./eng/run.sh)?[/]");
            return 2;
        }
    }

    private static Task<JsonElement> GetAsync(HttpClient http, string path, CancellationToken ct) => SendAsync(http, HttpMethod.Get, path, null, ct);

    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : System.Net.Http.Json.JsonContent.Create(body) };
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            var detail = text.Length > 0 && JsonDocument.Parse(text).RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            throw new CliException($"{(int)response.StatusCode} {response.ReasonPhrase}{(detail is null ? "" : ": " + detail)}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void Show(IAnsiConsole console, JsonElement snapshot)
    {
        var table = new Table().AddColumns("Region", "Jurisdiction", "Role", "Database", "Broker");
        foreach (var r in snapshot.GetProperty("regions").EnumerateArray())
        {
            table.AddRow(r.GetProperty("name").GetString()!, r.GetProperty("jurisdiction").GetString()!, r.GetProperty("role").GetString()!,
                r.GetProperty("database").GetString()!, r.GetProperty("broker").GetString()!);
        }

        console.Write(table);
        var replication = snapshot.GetProperty("replication");
        var lag = replication.GetProperty("lagBytes") is { ValueKind: JsonValueKind.Number } bytes ? $"{bytes.GetInt64()} bytes behind" : "lag unknown";
        console.WriteLine($"Replication: {replication.GetProperty("mode").GetString()}, {lag}" +
                          (replication.GetProperty("note") is { ValueKind: JsonValueKind.String } note ? $" ({note.GetString()})" : ""));
        if (snapshot.GetProperty("lastFailover") is { ValueKind: JsonValueKind.Object } last)
        {
            console.WriteLine($"Last failover: {last.GetProperty("from").GetString()} -> {last.GetProperty("to").GetString()} at {last.GetProperty("startedAt").GetDateTimeOffset():u}");
        }
    }
}
