using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace PrivacySuite.Cli;

/// <summary>How a command answers: tables for people, or the API's answer as JSON for scripts (stdout holds only the JSON).</summary>
public enum OutputFormat
{
    Text,
    Json,
}

/// <summary>The command tree. The console, stderr and the HTTP client come from outside, so tests drive it against a real service.</summary>
public static class PrivacyCli
{
    private static readonly Option<string?> Api = new("--api") { Description = $"The primary region's incident API, http://HOST:PORT (or {ApiConnection.ApiVariable})", Recursive = true };
    private static readonly Option<string?> StandbyApi = new("--standby-api")
    {
        Description = $"The standby region's incident API (or {ApiConnection.StandbyVariable}), tried when the primary cannot be connected to",
        Recursive = true,
    };
    private static readonly Option<string?> Token = new("--token") { Description = $"Bearer token (or {ApiConnection.TokenVariable}, or the AppHost's credentials file)", Recursive = true };
    private static readonly Option<string?> Credentials = new("--credentials") { Description = $"Credentials file (default {ApiConnection.DefaultCredentials})", Recursive = true };
    private static readonly Option<OutputFormat> Output = new("--output", "-o") { Description = "text (default), or json: the answer as JSON on stdout and nothing else there", Recursive = true };
    private static readonly Argument<Guid> Id = new("id") { Description = "Incident id" };
    private static readonly JsonSerializerOptions Indented = new(CliJson.Options) { WriteIndented = true };

    /// <summary>Spectre's live display needs a height: with output redirected there is none, so give one and drop ANSI.</summary>
    public static IAnsiConsole CreateConsole(bool redirected, TextWriter? writer = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(writer ?? Console.Out),
        });
        if (redirected)
        {
            console.Profile.Height = 50;
            console.Profile.Width = 160;
        }

        return console;
    }

    /// <summary>Runs the CLI. <paramref name="error"/> (stderr by default) takes what is not the answer: region fallbacks, and errors under --output json.</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, Func<ApiConnection, HttpClient> clients, CancellationToken cancellationToken = default, TextWriter? error = null)
    {
        var root = Build(console, clients, error ?? Console.Error);
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    public static RootCommand Build(IAnsiConsole console, Func<ApiConnection, HttpClient> clients, TextWriter error)
    {
        var incident = new Command("incident", "Declare, grade, contain, report, notify and resolve security incidents");
        var root = new RootCommand("privacy: the PrivacySuite on-call tool") { Api, StandbyApi, Token, Credentials, Output, incident, RegionCommands.Build(console, error, Output) };
        var io = new Io(console, error, clients);

        // declare
        var title = new Option<string>("--title") { Required = true, Description = "Short title, no personal data" };
        var type = new Option<string>("--type") { Required = true, Description = "DataLeak, Ransomware, Intrusion or ServiceOutage" };
        var place = new Option<string>("--place") { Required = true, Description = "Where: region, system" };
        var awareAt = new Option<DateTimeOffset?>("--aware-at") { Description = "When the team became aware (ISO 8601); default now. The regulator clock runs from here." };
        var declare = new Command("declare", "Declare an incident") { title, type, place, awareAt };
        declare.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var body = new { title = parse.GetValue(title), type = parse.GetValue(type), place = parse.GetValue(place), awareAt = parse.GetValue(awareAt) ?? DateTimeOffset.UtcNow };
            var created = await SendAsync<Incident>(http, HttpMethod.Post, "/v1/incidents", body, ct);
            io.Answer(parse, created, i =>
            {
                console.MarkupLine($"[green]Declared[/] {i.Id}");
                Render.Incident(console, i);
            });
        }));
        incident.Subcommands.Add(declare);

        // list
        var all = new Option<bool>("--all") { Description = "Include reviewed incidents" };
        var list = new Command("list", "Open incidents with their regulator countdown") { all };
        list.SetAction((parse, ct) => io.Run(parse, ct, async http =>
            io.Answer(parse, await SendAsync<List<Summary>>(http, HttpMethod.Get, $"/v1/incidents?all={parse.GetValue(all)}", null, ct), l => Render.List(console, l))));
        incident.Subcommands.Add(list);

        // show
        var watch = new Option<bool>("--watch") { Description = "Keep the countdown and notice progress live until Ctrl+C (with --output json: one JSON line a second)" };
        var watchFor = new Option<TimeSpan?>("--watch-for") { Description = "Stop watching after this long (hh:mm:ss)" };
        var show = new Command("show", "An incident: grade, countdown, tasks, reports, notices, timeline") { Id, watch, watchFor };
        show.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var path = $"/v1/incidents/{parse.GetValue(Id)}";
            if (!parse.GetValue(watch))
            {
                io.Answer(parse, await SendAsync<Incident>(http, HttpMethod.Get, path, null, ct), i => Render.Incident(console, i));
                return;
            }

            await io.WatchAsync(parse, http, path, parse.GetValue(watchFor), ct);
        }));
        incident.Subcommands.Add(show);

        // grade
        var people = new Option<long>("--people") { Required = true, Description = "People whose personal information leaked" };
        var categories = new Option<string>("--categories") { DefaultValueFactory = _ => "", Description = "Data categories, comma-separated (contact,identity,...)" };
        var loss = new Option<decimal>("--loss") { Description = "Direct economic loss, CNY" };
        var outage = new Option<int>("--outage-minutes") { Description = "Minutes a critical system's main function was down" };
        var overrideGrade = new Option<string?>("--override") { Description = "Override the assessed grade (I, II, III, IV)" };
        var reason = new Option<string?>("--reason") { Description = "Why the grade is overridden" };
        var grade = new Command("grade", "Grade from facts (IWK-2.7); the reasons are shown") { Id, people, categories, loss, outage, overrideGrade, reason };
        grade.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var body = new
            {
                peopleAffected = parse.GetValue(people),
                categories = Split(parse.GetValue(categories)),
                economicLossCny = parse.GetValue(loss),
                criticalSystemOutageMinutes = parse.GetValue(outage),
                overrideGrade = parse.GetValue(overrideGrade),
                overrideReason = parse.GetValue(reason),
            };
            io.Answer(parse, await SendAsync<Incident>(http, HttpMethod.Post, $"/v1/incidents/{parse.GetValue(Id)}/grade", body, ct), i => Render.Incident(console, i));
        }));
        incident.Subcommands.Add(grade);

        // contain
        var task = new Option<Guid?>("--task") { Description = "A containment task to update" };
        var done = new Option<bool?>("--done") { Description = "Mark the task done (true) or open (false)" };
        var owner = new Option<string?>("--owner") { Description = "Give the task to someone" };
        var contain = new Command("contain", "Work the containment checklist; without --task, mark the incident contained") { Id, task, done, owner };
        contain.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var id = parse.GetValue(Id);
            var updated = parse.GetValue(task) is { } taskId
                ? await SendAsync<Incident>(http, HttpMethod.Put, $"/v1/incidents/{id}/tasks/{taskId}", new { done = parse.GetValue(done), owner = parse.GetValue(owner) }, ct)
                : await SendAsync<Incident>(http, HttpMethod.Post, $"/v1/incidents/{id}/contain", null, ct);
            io.Answer(parse, updated, i => Render.Incident(console, i));
        }));
        incident.Subcommands.Add(contain);

        // report
        var kind = new Option<string>("--kind") { DefaultValueFactory = _ => "Initial", Description = "Initial, Update or Final" };
        var contentFile = new Option<FileInfo?>("--content") { Description = "JSON file with the report fields; default: the draft the API generates" };
        var complete = new Option<bool>("--complete") { Description = "This report has every field the CAC measures list" };
        var draftOnly = new Option<bool>("--draft") { Description = "Only show the draft" };
        var report = new Command("report", "File the regulator report (IWK-2.10)") { Id, kind, contentFile, complete, draftOnly };
        report.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var id = parse.GetValue(Id);
            JsonNode content = parse.GetValue(contentFile) is { } file
                ? JsonNode.Parse(await File.ReadAllTextAsync(file.FullName, ct)) ?? throw new CliException($"{file.Name} is empty.")
                : await SendAsync<JsonNode>(http, HttpMethod.Get, $"/v1/incidents/{id}/report/draft", null, ct);
            if (parse.GetValue(draftOnly))
            {
                io.Answer(parse, content, c => Render.Report(console, c));
                return;
            }

            await SendAsync<JsonNode>(http, HttpMethod.Post, $"/v1/incidents/{id}/reports", new { kind = parse.GetValue(kind), content, complete = parse.GetValue(complete) }, ct);
            io.Answer(parse, await SendAsync<Incident>(http, HttpMethod.Get, $"/v1/incidents/{id}", null, ct), i =>
            {
                console.MarkupLine($"[green]{Markup.Escape(parse.GetValue(kind)!)} report filed[/]");
                Render.Incident(console, i);
            });
        }));
        incident.Subcommands.Add(report);

        // export
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the report to this file (Markdown; JSON with --output json) instead of stdout" };
        var export = new Command("export", "The regulator report to submit: every report filed, the clock and the timeline, in zh-CN and en, CST beside UTC") { Id, outFile };
        export.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var document = RegulatorReportExport.From(await SendAsync<Incident>(http, HttpMethod.Get, $"/v1/incidents/{parse.GetValue(Id)}", null, ct), DateTimeOffset.UtcNow);
            var json = parse.GetValue(Output) == OutputFormat.Json;
            var text = json ? JsonSerializer.Serialize(document, Indented) : document.ToMarkdown();
            if (parse.GetValue(outFile) is not { } file)
            {
                console.Profile.Out.Writer.WriteLine(text);
                return;
            }

            await File.WriteAllTextAsync(file.FullName, text, ct);
            if (json)
            {
                io.Answer(parse, new { file = file.FullName, incidentId = document.IncidentId, reports = document.Reports.Count }, _ => { });
            }
            else
            {
                console.MarkupLine($"[green]Regulator report of {document.IncidentId} ({document.Reports.Count} filed) written to[/] {Markup.Escape(file.FullName)}");
            }
        }));
        incident.Subcommands.Add(export);

        // notify: exactly one scope of affected subjects; the API refuses a mix, and so does the CLI before sending
        var from = new Option<DateTimeOffset?>("--from") { Description = "Window scope: start of the window the leak covers (with --categories and --to)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Window scope: end of the window" };
        var notifyCategories = new Option<string?>("--categories") { Description = "Affected data categories, comma-separated (window scope, or with --all-time)" };
        var allTime = new Option<bool>("--all-time") { Description = "Category scope: everyone with data of --categories, whenever stored (a leaked backup)" };
        var subjectsFile = new Option<FileInfo?>("--subjects") { Description = "Subjects scope: a file of subject ids, one a line (at most 10,000, each once)" };
        var everyone = new Option<bool>("--everyone") { Description = "Everyone scope: every subject the vault holds" };
        var text = new Option<FileInfo>("--text") { Required = true, Description = "JSON file: { zhCn: {...}, en: {...} } with whatHappened, possibleImpact, measuresTaken, whatYouCanDo, remedies, securityAdvice" };
        var notify = new Command("notify", "Notify affected subjects (INF-3.4, IWK-2.8); a bulletin follows when needed (IWK-2.9)")
        {
            Id, notifyCategories, from, to, allTime, subjectsFile, everyone, text, watch, watchFor,
        };
        notify.SetAction((parse, ct) => io.Run(parse, ct, async http =>
        {
            var id = parse.GetValue(Id);
            var texts = JsonNode.Parse(await File.ReadAllTextAsync(parse.GetValue(text)!.FullName, ct))
                ?? throw new CliException("The text file is empty.");
            var categories = parse.GetValue(notifyCategories) is { } c ? Split(c) : null;
            var (fromValue, toValue, file) = (parse.GetValue(from), parse.GetValue(to), parse.GetValue(subjectsFile));
            var scopes = new[] { fromValue is not null || toValue is not null, parse.GetValue(allTime), file is not null, parse.GetValue(everyone) }.Count(x => x);
            if (scopes != 1)
            {
                throw new CliException("Name exactly one scope of affected subjects: --categories with --from and --to (a window), " +
                    "--categories with --all-time, --subjects FILE, or --everyone.");
            }

            object affected = file is not null
                ? new { kind = "subjects", subjectIds = (await File.ReadAllLinesAsync(file.FullName, ct)).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray() }
                : parse.GetValue(everyone) ? new { kind = "everyone" }
                : parse.GetValue(allTime) ? new { kind = "category", categories }
                : new { kind = "window", categories, from = fromValue, to = toValue };
            var body = new { affected, zhCn = texts["zhCn"], en = texts["en"] };
            var campaign = await SendAsync<Campaign>(http, HttpMethod.Post, $"/v1/incidents/{id}/notify", body, ct);
            if (parse.GetValue(watch))
            {
                io.Text(parse, () => console.MarkupLine($"[green]Notice campaign {campaign.Id} started[/]"));
                await io.WatchAsync(parse, http, $"/v1/incidents/{id}", parse.GetValue(watchFor), ct);
                return;
            }

            io.Answer(parse, campaign, c =>
            {
                console.MarkupLine($"[green]Notice campaign {c.Id} started[/]");
                Render.Campaign(console, c);
            });
        }));
        incident.Subcommands.Add(notify);

        // notices pause | resume, bulletin
        var why = new Option<string>("--reason") { Required = true, Description = "Why, for the timeline (no personal data)" };
        var notices = new Command("notices", "Pause or resume the notice campaign");
        foreach (var (verb, description) in new[] { ("pause", "Stop planning further notice batches; batches already requested are still sent"), ("resume", "Plan the remaining batches from where the campaign stopped") })
        {
            var command = new Command(verb, description) { Id, why };
            command.SetAction((parse, ct) => io.Run(parse, ct, async http =>
                io.Answer(parse, await SendAsync<Campaign>(http, HttpMethod.Post, $"/v1/incidents/{parse.GetValue(Id)}/notices/{verb}", new { reason = parse.GetValue(why) }, ct),
                    c => Render.Campaign(console, c))));
            notices.Subcommands.Add(command);
        }

        incident.Subcommands.Add(notices);
        var bulletin = new Command("bulletin", "Publish the public bulletin (IWK-2.9) with the campaign's text; once per incident") { Id, why };
        bulletin.SetAction((parse, ct) => io.Run(parse, ct, async http =>
            io.Answer(parse, await SendAsync<Campaign>(http, HttpMethod.Post, $"/v1/incidents/{parse.GetValue(Id)}/bulletin", new { reason = parse.GetValue(why) }, ct),
                c => Render.Campaign(console, c))));
        incident.Subcommands.Add(bulletin);

        // note
        var noteText = new Argument<string>("text") { Description = "What happened or was decided (no personal data)" };
        var note = new Command("note", "Add a note to the incident's timeline, with time and person") { Id, noteText };
        note.SetAction((parse, ct) => io.Run(parse, ct, async http =>
            io.Answer(parse, await SendAsync<Incident>(http, HttpMethod.Post, $"/v1/incidents/{parse.GetValue(Id)}/notes", new { text = parse.GetValue(noteText) }, ct),
                i => Render.Incident(console, i))));
        incident.Subcommands.Add(note);

        // resolve, review
        var summary = new Option<string>("--summary") { Required = true, Description = "What was done" };
        foreach (var (verb, description) in new[] { ("resolve", "Resolve; the 30-day final summary clock starts"), ("review", "Close the post-incident review (after the final summary)") })
        {
            var command = new Command(verb, description) { Id, summary };
            command.SetAction((parse, ct) => io.Run(parse, ct, async http =>
                io.Answer(parse, await SendAsync<Incident>(http, HttpMethod.Post, $"/v1/incidents/{parse.GetValue(Id)}/{verb}", new { summary = parse.GetValue(summary) }, ct),
                    i => Render.Incident(console, i))));
            incident.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>Where a command's answer and its errors go, by --output.</summary>
    private sealed record Io(IAnsiConsole Console, TextWriter Error, Func<ApiConnection, HttpClient> Clients)
    {
        public async Task<int> Run(ParseResult parse, CancellationToken ct, Func<HttpClient, Task> action)
        {
            try
            {
                var connection = ApiConnection.Resolve(parse.GetValue(Api), parse.GetValue(StandbyApi), parse.GetValue(Token), parse.GetValue(Credentials), "on-call");
                using var http = Clients(connection);
                await action(http);
                return 0;
            }
            catch (CliException e)
            {
                Fail(parse, e.Message);
                return 1;
            }
            catch (HttpRequestException e)
            {
                Fail(parse, $"The incident API cannot be reached: {e.Message}");
                return 2;
            }
        }

        /// <summary>The answer as JSON on stdout, or rendered for people.</summary>
        public void Answer<T>(ParseResult parse, T value, Action<T> render)
        {
            if (parse.GetValue(Output) == OutputFormat.Json)
            {
                Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Indented));
            }
            else
            {
                render(value);
            }
        }

        /// <summary>A line for people only: under --output json it would break the JSON.</summary>
        public void Text(ParseResult parse, Action write)
        {
            if (parse.GetValue(Output) != OutputFormat.Json)
            {
                write();
            }
        }

        private void Fail(ParseResult parse, string message)
        {
            if (parse.GetValue(Output) == OutputFormat.Json)
            {
                Error.WriteLine(message);
            }
            else
            {
                Console.MarkupLine($"[red]{Markup.Escape(message)}[/]");
            }
        }

        public async Task WatchAsync(ParseResult parse, HttpClient http, string path, TimeSpan? duration, CancellationToken ct)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (duration is { } d)
            {
                stop.CancelAfter(d);
            }

            var incident = await SendAsync<Incident>(http, HttpMethod.Get, path, null, ct);
            if (parse.GetValue(Output) == OutputFormat.Json)
            {
                // JSON Lines: one compact object per refresh, so a script can read them as they come.
                for (Incident? current = incident; current is not null; current = await NextAsync())
                {
                    Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(current, CliJson.Options));
                }

                return;
            }

            await Console.Live(Render.Live(incident)).StartAsync(async live =>
            {
                while (await NextAsync() is { } next)
                {
                    live.UpdateTarget(Render.Live(next));
                }
            });

            async Task<Incident?> NextAsync()
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
                    return await SendAsync<Incident>(http, HttpMethod.Get, path, null, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    private static async Task<T> SendAsync<T>(HttpClient http, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: CliJson.Options) };
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException(await ProblemAsync(response, ct));
        }

        return await response.Content.ReadFromJsonAsync<T>(CliJson.Options, ct) ?? throw new CliException("The API answered with an empty body.");
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var root = problem.RootElement;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("title", out var t) ? t.GetString() : null;
            if (root.TryGetProperty("errors", out var errors))
            {
                detail = string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(" ", e.Value.EnumerateArray().Select(v => v.GetString()))}"));
            }

            return detail is null ? status : $"{status}: {detail}";
        }
        catch (JsonException)
        {
            return status;
        }
    }

    private static string[] Split(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static string Countdown(Clock clock)
    {
        if (!clock.ReportRequired)
        {
            return "no report required";
        }

        if (clock.FirstReportAt is { } filed)
        {
            return clock.ReportDueAt is { } due && filed > due ? $"reported LATE {Format(filed)}" : $"reported {Format(filed)}";
        }

        if (clock.SecondsLeft is not { } left)
        {
            return "-";
        }

        var span = TimeSpan.FromSeconds(Math.Abs(left));
        var text = $"{(int)span.TotalHours}:{span.Minutes:D2}:{span.Seconds:D2}";
        return left < 0 ? $"OVERDUE by {text}" : $"{text} left ({clock.FractionElapsed * 100:0}% gone)";
    }

    /// <summary>China Standard Time, which the regulator and the team read, with UTC beside it.</summary>
    internal static string Format(DateTimeOffset? value) => value is { } v ? Instant.Of(v).ToString() : "-";
}
