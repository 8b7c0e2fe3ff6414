using System.Text.Json;
using System.Text.RegularExpressions;
using PrivacySuite.Cli;
using PrivacySuite.Incidents.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Tests;

/// <summary>The <c>privacy</c> CLI against the real service, with output redirected as in a pipe or a log.</summary>
public sealed partial class CliTests(IncidentsFactory factory) : IClassFixture<IncidentsFactory>
{
    private async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var (exit, output, _) = await RunWithErrorAsync(args);
        return (exit, output);
    }

    /// <summary>Runs the CLI as on-call against the service; stdout and stderr apart, as a script sees them.</summary>
    private async Task<(int Exit, string Output, string Error)> RunWithErrorAsync(params string[] args)
    {
        var token = factory.Credentials.IssueToken("lead-cli", [SuiteRoles.OnCall], TimeSpan.FromDays(90));
        using var writer = new StringWriter();
        using var error = new StringWriter();
        var console = PrivacyCli.CreateConsole(redirected: true, writer);
        var exit = await PrivacyCli.RunAsync([.. args, "--api", "http://localhost", "--token", token], console, connection =>
        {
            var client = factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", connection.Token);
            return client;
        }, error: error);
        return (exit, writer.ToString(), error.ToString());
    }

    /// <summary>Runs with --output json and checks that stdout is one JSON document and nothing else.</summary>
    private async Task<JsonElement> JsonAsync(params string[] args)
    {
        var (exit, output, error) = await RunWithErrorAsync([.. args, "--output", "json"]);
        Assert.True(exit == 0, $"privacy {string.Join(' ', args)} exited {exit}: {error}");
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    [Fact]
    [Trait("Clause", "IWK-2.7")]
    [Trait("Clause", "IWK-2.10")]
    public async Task The_on_call_lead_declares_grades_and_sees_the_reasons_and_the_countdown()
    {
        var awareAt = factory.Clock.Now().AddMinutes(-60).ToString("O");

        var declared = await RunAsync("incident", "declare", "--title", "Replica exposed", "--type", "DataLeak", "--place", "Beijing", "--aware-at", awareAt);
        var id = IdPattern().Match(declared.Output).Groups[1].Value;
        var graded = await RunAsync("incident", "grade", id, "--people", "1000000", "--categories", "contact,identity");
        var listed = await RunAsync("incident", "list");
        var watched = await RunAsync("incident", "show", id, "--watch", "--watch-for", "00:00:01.500");

        Assert.Equal(0, declared.Exit);
        Assert.Equal(0, graded.Exit);
        Assert.Contains("Triaged", graded.Output);
        Assert.Contains("1,000,000 people", graded.Output);
        Assert.Matches(@"2:5\d:\d\d left \(2\d% gone\)", graded.Output);
        Assert.Contains("Revoke the leaked credentials", graded.Output);
        Assert.Contains("Replica exposed", listed.Output);
        Assert.Equal(0, watched.Exit);
        Assert.Contains("left", watched.Output);
        Assert.DoesNotContain("\u001b[", watched.Output);
    }

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_refused_step_prints_the_reason_and_exits_non_zero()
    {
        var declared = await RunAsync("incident", "declare", "--title", "Second leak", "--type", "DataLeak", "--place", "Guangzhou");
        var id = IdPattern().Match(declared.Output).Groups[1].Value;
        await RunAsync("incident", "grade", id, "--people", "2000000", "--categories", "contact");

        var contain = await RunAsync("incident", "contain", id);
        var resolve = await RunAsync("incident", "resolve", id, "--summary", "skip it");
        var badGrade = await RunAsync("incident", "grade", id, "--people", "5", "--categories", "business");

        Assert.Equal(1, contain.Exit);
        Assert.Contains("Containment tasks are still open", contain.Output);
        Assert.Equal(1, resolve.Exit);
        Assert.Contains("409", resolve.Output);
        Assert.Equal(1, badGrade.Exit);
        Assert.Contains("categories", badGrade.Output);
    }

    [Fact]
    public async Task The_whole_path_runs_from_the_cli_with_notice_progress()
    {
        var declared = await RunAsync("incident", "declare", "--title", "Third leak", "--type", "DataLeak", "--place", "Beijing");
        var id = IdPattern().Match(declared.Output).Groups[1].Value;
        await RunAsync("incident", "grade", id, "--people", "1000000", "--categories", "contact");
        var show = await Drive.ShowAsync(factory.CreateOnCall(), Guid.Parse(id));
        foreach (var task in show.Tasks)
        {
            Assert.Equal(0, (await RunAsync("incident", "contain", id, "--task", task.Id.ToString(), "--done", "true")).Exit);
        }

        var contained = await RunAsync("incident", "contain", id);
        var draft = await RunAsync("incident", "report", id, "--draft");
        var report = await RunAsync("incident", "report", id, "--kind", "Initial");
        var text = Path.GetTempFileName();
        await File.WriteAllTextAsync(text, JsonSerializer.Serialize(new { zhCn = Drive.Text("zh-CN"), en = Drive.Text("en") }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        var now = factory.Clock.Now();
        var notify = await RunAsync("incident", "notify", id, "--categories", "contact", "--from", now.AddDays(-2).ToString("O"), "--to", now.ToString("O"),
            "--text", text, "--watch", "--watch-for", "00:00:02");
        File.Delete(text);

        Assert.Equal(0, contained.Exit);
        Assert.Contains("preliminaryCause", draft.Output);
        Assert.Contains("PrivacySuite operator", draft.Output);
        Assert.Equal(0, report.Exit);
        Assert.Contains("Initial report filed", report.Output);
        Assert.Contains("Reported", report.Output);
        Assert.Equal(0, notify.Exit);
        Assert.Contains("Notice campaign", notify.Output);
        Assert.Contains("Delivered / failed", notify.Output);
    }

    [Fact]
    public async Task Without_an_api_address_the_cli_says_how_to_give_one()
    {
        using var writer = new StringWriter();
        var exit = await PrivacyCli.RunAsync(["incident", "list", "--token", "x"], PrivacyCli.CreateConsole(true, writer), c => c.CreateHttpClient(TextWriter.Null));

        Assert.Equal(1, exit);
        Assert.Contains("PRIVACY_API_URL", writer.ToString());
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.9")]
    [Trait("Clause", "IWK-2.10")]
    [Trait("Issue", "21")]
    public async Task An_incident_runs_end_to_end_from_the_cli_in_json_and_its_regulator_report_exports_to_submit()
    {
        var folder = Directory.CreateTempSubdirectory("privacy-cli-");
        var report = Path.Combine(folder.FullName, "report.json");
        var notice = Path.Combine(folder.FullName, "notice.json");
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        await File.WriteAllTextAsync(report, JsonSerializer.Serialize(Drive.FullReport(), options));
        await File.WriteAllTextAsync(notice, JsonSerializer.Serialize(new { zhCn = Drive.Text("zh-CN"), en = Drive.Text("en") }, options));
        var now = factory.Clock.Now();
        try
        {
            var id = (await JsonAsync("incident", "declare", "--title", "Orders replica exposed", "--type", "DataLeak", "--place", "Beijing",
                "--aware-at", now.AddMinutes(-30).ToString("O"))).GetProperty("id").GetString()!;
            var graded = await JsonAsync("incident", "grade", id, "--people", "1200000", "--categories", "contact,identity");
            foreach (var task in graded.GetProperty("tasks").EnumerateArray())
            {
                await JsonAsync("incident", "contain", id, "--task", task.GetProperty("id").GetString()!, "--done", "true");
            }

            await JsonAsync("incident", "contain", id);
            var filed = await JsonAsync("incident", "report", id, "--kind", "Initial", "--content", report, "--complete");
            var noted = await JsonAsync("incident", "note", id, "Called the CAC duty line; they expect the update by 18:00 CST");

            // The vault answers the first page and then stops, so the campaign is still planning when the lead pauses it.
            factory.Vault.Population = 2_500;
            factory.Vault.FailAtCursor = "1000";
            Interlocked.Exchange(ref factory.Vault.FailuresLeft, int.MaxValue);
            await JsonAsync("incident", "notify", id, "--categories", "contact", "--from", now.AddDays(-2).ToString("O"), "--to", now.ToString("O"), "--text", notice);
            var paused = await JsonAsync("incident", "notices", "pause", id, "--reason", "legal checks the wording");
            Interlocked.Exchange(ref factory.Vault.FailuresLeft, 0);
            var resumed = await JsonAsync("incident", "notices", "resume", id, "--reason", "wording approved");
            await Eventually.HoldsAsync(async () => (await JsonAsync("incident", "show", id)).GetProperty("notices").GetProperty("status").GetString() == "requested",
                TimeSpan.FromSeconds(30), "the resumed campaign requests every batch");
            var bulletin = await JsonAsync("incident", "bulletin", id, "--reason", "many contacts are years old");
            var bulletinAgain = await RunWithErrorAsync("incident", "bulletin", id, "--reason", "again", "--output", "json");
            await JsonAsync("incident", "resolve", id, "--summary", "Replica closed; subjects told");
            await JsonAsync("incident", "report", id, "--kind", "Final", "--content", report);
            var reviewed = await JsonAsync("incident", "review", id, "--summary", "Replicas now need a firewall rule review");
            var markdown = Path.Combine(folder.FullName, "regulator-report.md");
            var exported = await RunAsync("incident", "export", id, "--out", markdown);
            var exportJson = await JsonAsync("incident", "export", id);
            var listed = await JsonAsync("incident", "list", "--all");
            var watched = await RunWithErrorAsync("incident", "show", id, "--watch", "--watch-for", "00:00:04", "--output", "json");

            Assert.Equal("Reported", filed.GetProperty("status").GetString());
            Assert.Contains(noted.GetProperty("timeline").EnumerateArray(), t => t.GetProperty("kind").GetString() == "note" && t.GetProperty("actor").GetString() == "lead-cli");
            Assert.Equal("paused", paused.GetProperty("status").GetString());
            Assert.Equal("resolving", resumed.GetProperty("status").GetString());
            Assert.Equal("on-call-decision", bulletin.GetProperty("bulletin").GetProperty("reason").GetString());
            Assert.Equal(1, bulletinAgain.Exit);
            Assert.Equal("", bulletinAgain.Output);
            Assert.Contains("published once per incident", bulletinAgain.Error);
            Assert.Equal("Reviewed", reviewed.GetProperty("status").GetString());
            Assert.Contains(listed.EnumerateArray(), i => i.GetProperty("id").GetString() == id);

            Assert.Equal(0, exported.Exit);
            Assert.Contains("written to", exported.Output);
            var document = await File.ReadAllTextAsync(markdown);
            Assert.Contains("# 网络安全事件报告 / Cybersecurity incident report", document);
            Assert.Contains("## 1. 初报 / Initial report", document);
            Assert.Contains("## 2. 总结报告 / Final report", document);
            Assert.Contains("| 初步原因 Preliminary cause | Misconfigured replica exposed to the internet |", document);
            Assert.Contains("| 发生时间 Occurred at | 2026-11-01 09:00:00 CST (2026-11-01 01:00:00 UTC) |", document);
            var awareAt = now.AddMinutes(-30);
            Assert.Contains($"| 发现时间 Aware at | {awareAt.ToOffset(TimeSpan.FromHours(8)):yyyy-MM-dd HH:mm:ss} CST ({awareAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC) |", document);
            Assert.Contains("Called the CAC duty line", document);
            Assert.Contains("| 告知对象 Subjects | 2,500 |", document);
            Assert.Contains("(on-call-decision) |", document);
            Assert.Equal(2, exportJson.GetProperty("reports").GetArrayLength());
            Assert.EndsWith("+08:00", exportJson.GetProperty("awareAt").GetProperty("cst").GetString());
            Assert.EndsWith("+00:00", exportJson.GetProperty("awareAt").GetProperty("utc").GetString());

            Assert.Equal(0, watched.Exit);
            var lines = watched.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length >= 2, watched.Output);
            Assert.All(lines, line => Assert.Equal(id, JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()));
        }
        finally
        {
            Interlocked.Exchange(ref factory.Vault.FailuresLeft, 0);
            factory.Vault.Population = 0;
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Times_show_in_china_standard_time_beside_utc()
    {
        var declared = await RunAsync("incident", "declare", "--title", "Clock check", "--type", "Intrusion", "--place", "Guangzhou", "--aware-at", "2026-12-01T16:30:00Z");

        Assert.Contains("2026-12-02 00:30:00 CST (2026-12-01 16:30:00 UTC)", declared.Output);
    }

    [GeneratedRegex("Declared ([0-9a-f-]{36})")]
    private static partial Regex IdPattern();
}
