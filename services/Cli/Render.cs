using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PrivacySuite.Cli;

internal static class Render
{
    public static void List(IAnsiConsole console, IReadOnlyList<Summary> incidents)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Incidents");
        table.AddColumns("Id", "Title", "Type", "Status", "Grade", "Aware at", "Regulator report");
        foreach (var i in incidents)
        {
            table.AddRow(Esc(i.Id.ToString()), Esc(i.Title), i.Type, i.Status, i.Grade ?? "-", PrivacyCli.Format(i.AwareAt), Countdown(i.Clock));
        }

        console.Write(table);
    }

    public static void Incident(IAnsiConsole console, Incident i) => console.Write(Live(i));

    /// <summary>The whole incident as one renderable, so the live view and a single print look the same.</summary>
    public static IRenderable Live(Incident i)
    {
        var head = new Grid().AddColumn().AddColumn();
        head.AddRow("[bold]Incident[/]", Esc($"{i.Id}  {i.Title}"));
        head.AddRow("Type / place", Esc($"{i.Type} / {i.Place}"));
        head.AddRow("Status", $"[bold]{i.Status}[/]");
        head.AddRow("Grade", Esc(i.Grade is null ? "not graded" : i.GradeOverrideReason is null ? i.Grade : $"{i.Grade} (assessed {i.AssessedGrade}, overridden: {i.GradeOverrideReason})"));
        foreach (var reason in i.GradeReasons)
        {
            head.AddRow("  because", Esc(reason));
        }

        head.AddRow("Aware at", PrivacyCli.Format(i.AwareAt));
        head.AddRow("Report due", PrivacyCli.Format(i.Clock.ReportDueAt));
        head.AddRow("Countdown", Countdown(i.Clock));
        if (i.Clock.FinalSummaryDueAt is { } final)
        {
            head.AddRow("Final summary due", $"{PrivacyCli.Format(final)}{(i.Clock.FinalSummaryAt is { } at ? $" (filed {PrivacyCli.Format(at)})" : "")}");
        }

        var rows = new List<IRenderable> { head };
        if (i.Tasks.Count > 0)
        {
            var tasks = new Table().Border(TableBorder.Simple).Title("Containment");
            tasks.AddColumns("Task", "Owner", "Due", "Done", "Id");
            foreach (var t in i.Tasks)
            {
                tasks.AddRow(Esc(t.Title), Esc(t.Owner), PrivacyCli.Format(t.DueAt), t.DoneAt is null ? "[yellow]open[/]" : Esc($"{PrivacyCli.Format(t.DoneAt)} {t.DoneBy}"), t.Id.ToString());
            }

            rows.Add(tasks);
        }

        if (i.Notices is { } campaign)
        {
            rows.Add(CampaignView(campaign));
        }

        var timeline = new Table().Border(TableBorder.Simple).Title("Timeline");
        timeline.AddColumns("At", "Who", "What", "Detail");
        foreach (var t in i.Timeline.TakeLast(15))
        {
            timeline.AddRow(PrivacyCli.Format(t.At), Esc(t.Actor), Esc(t.Kind), Esc(t.Detail));
        }

        rows.Add(timeline);
        return new Rows(rows);
    }

    public static void Campaign(IAnsiConsole console, Campaign campaign) => console.Write(CampaignView(campaign));

    private static IRenderable CampaignView(Campaign c)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Notices[/]", Esc($"{c.Status}: {c.SubjectsPlanned:N0} subjects in {c.BatchesRequested} batches"));
        grid.AddRow("Affected", Esc(c.Scope switch
        {
            "subjects" => $"{c.SubjectsNamed:N0} named subjects" + (c.SubjectsNotFound > 0 ? $", {c.SubjectsNotFound:N0} not held by the vault (not sent to)" : ""),
            "category" => $"categories {string.Join(",", c.Categories)}, whenever stored",
            "everyone" => "every subject the vault holds",
            _ => $"categories {string.Join(",", c.Categories)}, {(c.From is { } f ? PrivacyCli.Format(f) : "?")} to {(c.To is { } t ? PrivacyCli.Format(t) : "?")}",
        }));
        var answered = c.Delivered + c.Failed;
        var share = c.SubjectsPlanned == 0 ? 0 : (double)answered / c.SubjectsPlanned;
        grid.AddRow("Delivered / failed", $"{c.Delivered:N0} / {c.Failed:N0}");
        grid.AddRow(new Markup("Progress"), new BreakdownChart().Width(40)
            .AddItem("delivered", c.Delivered, Color.Green).AddItem("failed", c.Failed, Color.Red)
            .AddItem("waiting", Math.Max(0, c.SubjectsPlanned - answered), Color.Grey));
        grid.AddRow("Answered", $"{share:P0}");
        grid.AddRow("Bulletin", c.Bulletin is { } b ? Esc($"requested {PrivacyCli.Format(b.RequestedAt)} ({b.Reason})") : "none");
        return grid;
    }

    public static void Report(IAnsiConsole console, JsonNode content)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Regulator report draft");
        table.AddColumns("Field", "Value");
        foreach (var (name, value) in content.AsObject())
        {
            table.AddRow(Esc(name), Esc(value?.ToString() ?? "[to fill in]"));
        }

        console.Write(table);
    }

    private static string Countdown(Clock clock)
    {
        var text = Esc(PrivacyCli.Countdown(clock));
        return clock.Overdue ? $"[red]{text}[/]" : clock.FractionElapsed >= 0.9 ? $"[red]{text}[/]" : clock.FractionElapsed >= 0.5 ? $"[yellow]{text}[/]" : text;
    }

    private static string Esc(string value) => Markup.Escape(value);
}
