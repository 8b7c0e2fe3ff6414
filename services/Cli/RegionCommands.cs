using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;

namespace PrivacySuite.Cli;

/// <summary>
/// <c>privacy region status | failover --to REGION | rejoin REGION</c>: the region operations are resource commands of
/// the Aspire AppHost (the same ones behind the dashboard's menu). This runs them through the Aspire CLI
/// (<c>dotnet aspire</c>, a local tool of the repository), which finds the running AppHost.
/// </summary>
public static class RegionCommands
{
    public const string AppHostVariable = "PRIVACY_APPHOST";

    private static readonly Option<string?> AppHost = new("--apphost")
    {
        Description = $"The AppHost project or its folder (or {AppHostVariable}); found from the current folder up by default",
        Recursive = true,
    };

    public static Command Build(IAnsiConsole console, TextWriter error, Option<OutputFormat> output)
    {
        bool Json(ParseResult parse) => parse.GetValue(output) == OutputFormat.Json;
        var region = new Command("region", "Regions: roles, replication, failover and rejoin (resource commands of the AppHost)") { AppHost };

        var status = new Command("status", "Region roles, replication mode and lag");
        status.SetAction((parse, ct) => RunAsync(console, error, Json(parse), parse, async apphost =>
        {
            var (code, output) = await AspireAsync(apphost, ["describe", "--format", "Json"], ct);
            if (code != 0)
            {
                throw new CliException($"The Aspire CLI could not describe the AppHost: {output.Trim()}");
            }

            Show(console, output, Json(parse));
        }));
        region.Subcommands.Add(status);

        var to = new Option<string>("--to") { Required = true, Description = "The region to promote, e.g. guangzhou" };
        var acceptLoss = new Option<bool>("--accept-loss")
        {
            Description = "Promote even if acknowledged writes may be lost (the standby had not caught up, or replication was asynchronous); recorded",
        };
        var failover = new Command("failover", "Promote a region's cluster; the old primary is fenced and rejoins as the standby") { to, acceptLoss };
        failover.SetAction((parse, ct) => RunAsync(console, error, Json(parse), parse, apphost => CommandAsync(console, Json(parse), apphost, $"postgres-{parse.GetValue(to)}", "failover",
            parse.GetValue(acceptLoss) ? ["--accept-loss", "true"] : [], ct)));
        region.Subcommands.Add(failover);

        var name = new Argument<string>("region") { Description = "The region to bring back, e.g. beijing" };
        var rejoin = new Command("rejoin", "Start a lost region again; its database rejoins as the standby of the primary") { name };
        rejoin.SetAction((parse, ct) => RunAsync(console, error, Json(parse), parse, apphost => CommandAsync(console, Json(parse), apphost, $"postgres-{parse.GetValue(name)}", "rejoin", [], ct)));
        region.Subcommands.Add(rejoin);
        return region;
    }

    private static async Task CommandAsync(IAnsiConsole console, bool json, string apphost, string resource, string command, string[] arguments, CancellationToken ct)
    {
        var (code, output) = await AspireAsync(apphost, ["resource", resource, command, .. arguments], ct);
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new { resource, command, exitCode = code, output = output.Trim() }, CliJson.Options));
        }
        else
        {
            console.WriteLine(output.Trim());
        }

        if (code != 0)
        {
            throw new CliException($"{command} on {resource} did not succeed (the Aspire CLI exited with {code}).");
        }
    }

    private static async Task<int> RunAsync(IAnsiConsole console, TextWriter error, bool json, ParseResult parse, Func<string, Task> action)
    {
        try
        {
            await action(FindAppHost(parse.GetValue(AppHost)));
            return 0;
        }
        catch (CliException e)
        {
            if (json)
            {
                error.WriteLine(e.Message);
            }
            else
            {
                console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            }

            return 1;
        }
    }

    private static string FindAppHost(string? given)
    {
        given ??= Environment.GetEnvironmentVariable(AppHostVariable);
        if (given is not null)
        {
            return Path.GetFullPath(given);
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "AppHost", "PrivacySuite.AppHost.csproj");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CliException($"The AppHost is not known: run from the repository, or pass --apphost PATH (or set {AppHostVariable}).");
    }

    /// <summary>Runs <c>dotnet aspire ARGS --apphost APPHOST</c> from the repository, where the tool manifest pins the Aspire CLI.</summary>
    private static async Task<(int Code, string Output)> AspireAsync(string apphost, IEnumerable<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Path.GetDirectoryName(apphost)) ?? Environment.CurrentDirectory,
        };
        foreach (var arg in (string[])["aspire", .. args, "--apphost", apphost, "--non-interactive", "--nologo"])
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CliException("dotnet could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException($"dotnet could not be started: {e.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var output = await stdout + await stderr;
            if (output.Contains("dotnet tool restore", StringComparison.Ordinal) || output.Contains("could not execute because the specified command", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException("The Aspire CLI is not installed: run 'dotnet tool restore' in the repository (./eng/install-deps.sh does).");
            }

            return (process.ExitCode, output);
        }
    }

    /// <summary>The clusters' region properties, as the AppHost's coordinator publishes them.</summary>
    private static void Show(IAnsiConsole console, string describe, bool json)
    {
        var start = describe.IndexOf('{', StringComparison.Ordinal);
        using var document = JsonDocument.Parse(start < 0 ? "{}" : describe[start..]);
        var clusters = new List<Cluster>();
        if (document.RootElement.TryGetProperty("resources", out var resources))
        {
            foreach (var r in resources.EnumerateArray().Where(r => r.GetProperty("displayName").GetString()!.StartsWith("postgres-", StringComparison.Ordinal)))
            {
                var properties = r.GetProperty("properties");
                string Get(string key) => properties.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
                clusters.Add(new Cluster(r.GetProperty("displayName").GetString()!, Text(r, "state"), Text(r, "healthStatus"),
                    Get("region.role"), Get("region.epoch"), Get("replication.mode"), Get("replication.lag_bytes")));
            }
        }

        if (clusters.Count == 0)
        {
            throw new CliException("The AppHost answered, but lists no postgres-* cluster: is it the PrivacySuite AppHost?");
        }

        if (json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(clusters, CliJson.Options));
            return;
        }

        var table = new Table().AddColumns("Cluster", "State", "Health", "Role", "Epoch", "Replication", "Lag (bytes)");
        foreach (var c in clusters)
        {
            table.AddRow(c.Name, c.State, c.Health, c.Role, c.Epoch, c.Replication, c.LagBytes);
        }

        console.Write(table);

        static string Text(JsonElement r, string key) => r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
    }

    private sealed record Cluster(string Name, string State, string Health, string Role, string Epoch, string Replication, string LagBytes);
}
