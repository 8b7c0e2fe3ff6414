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
        var token = factory.Credentials.IssueToken("lead-cli", [SuiteRoles.OnCall], TimeSpan.FromDays(90));
        using var writer = new StringWriter();
        var console = PrivacyCli.CreateConsole(redirected: true, writer);
        var exit = await PrivacyCli.RunAsync([.. args, "--api", "http://localhost", "--token", token], console, connection =>
        {
            var client = factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", connection.Token);
            return client;
        });
        return (exit, writer.ToString());
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
        var exit = await PrivacyCli.RunAsync(["incident", "list", "--token", "x"], PrivacyCli.CreateConsole(true, writer), c => c.CreateHttpClient());

        Assert.Equal(1, exit);
        Assert.Contains("PRIVACY_API_URL", writer.ToString());
    }

    [GeneratedRegex("Declared ([0-9a-f-]{36})")]
    private static partial Regex IdPattern();
}
