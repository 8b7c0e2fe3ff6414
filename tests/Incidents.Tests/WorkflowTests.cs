using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Tests;

public sealed class WorkflowTests(IncidentsFactory factory) : IClassFixture<IncidentsFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.7")]
    [Trait("Clause", "IWK-2.10")]
    public async Task Grading_a_leak_of_a_million_people_gives_grade_III_with_reasons_and_a_deadline_from_awareness()
    {
        using var client = factory.CreateOnCall();
        var now = factory.Clock.GetUtcNow();
        var awareAt = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddMinutes(-90);
        var declared = await Drive.DeclareAsync(client, awareAt);

        var graded = await Drive.GradeAsync(client, declared.Id, 1_000_000);

        Assert.Equal(IncidentStatus.Triaged, graded.Status);
        Assert.Equal(Grade.III, graded.Grade);
        Assert.Contains(graded.GradeReasons, r => r.Contains("1,000,000 people"));
        Assert.True(graded.Clock.ReportRequired);
        // From awareness, not from declaration or grading: 4 h for an operator that is not critical infrastructure.
        Assert.Equal(awareAt.AddHours(4), graded.Clock.ReportDueAt);
        Assert.InRange(graded.Clock.SecondsLeft!.Value, (150 * 60) - 30, (150 * 60) + 1);
        Assert.InRange(graded.Clock.FractionElapsed!.Value, 0.37, 0.38);
        Assert.Equal(["declared", "triaged"], graded.Timeline.Select(t => t.Kind));
        Assert.All(graded.Timeline, t => Assert.Equal("lead-wang", t.Actor));
    }

    [Fact]
    [Trait("Clause", "IWK-2.7")]
    public async Task The_lead_overrides_a_grade_only_with_a_reason_and_both_grades_stay_visible()
    {
        using var client = factory.CreateOnCall();
        var incident = await Drive.DeclareAsync(client, factory.Clock.GetUtcNow());

        using var bare = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/grade",
            new { peopleAffected = 10, categories = new[] { "contact" }, overrideGrade = "II", economicLossCny = 0, criticalSystemOutageMinutes = 0 });
        using var reasoned = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/grade",
            new { peopleAffected = 10, categories = new[] { "contact" }, overrideGrade = "II", overrideReason = "Data of minors among the records", economicLossCny = 0, criticalSystemOutageMinutes = 0 });

        Assert.Equal(HttpStatusCode.Conflict, bare.StatusCode);
        var view = (await reasoned.Content.ReadFromJsonAsync<IncidentView>())!;
        Assert.Equal((Grade.II, Grade.IV), (view.Grade!.Value, view.AssessedGrade!.Value));
        Assert.Equal("Data of minors among the records", view.GradeOverrideReason);
        Assert.True(view.Clock.ReportRequired);
        Assert.Contains(view.Timeline, t => t.Detail.Contains("overridden from IV"));
    }

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    [Trait("Clause", "INF-3.4")]
    public async Task A_grade_III_incident_cannot_skip_its_regulator_report()
    {
        using var client = factory.CreateOnCall();
        var now = factory.Clock.GetUtcNow();
        var incident = await Drive.DeclareAsync(client, now);

        using var containUngraded = await client.PostAsync($"/v1/incidents/{incident.Id}/contain", null);
        await Drive.GradeAsync(client, incident.Id, 1_500_000);
        using var containWithOpenTasks = await client.PostAsync($"/v1/incidents/{incident.Id}/contain", null);
        await Drive.ContainAsync(client, incident.Id);
        using var notify = await Drive.NotifyAsync(client, incident.Id, now.AddDays(-1), now);
        using var resolve = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/resolve", new { summary = "done" });
        using var gradeDown = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/grade", new { peopleAffected = 10, categories = new[] { "contact" }, economicLossCny = 0, criticalSystemOutageMinutes = 0 });

        Assert.Equal(HttpStatusCode.Conflict, containUngraded.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, containWithOpenTasks.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, notify.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, resolve.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, gradeDown.StatusCode);
        Assert.Equal("application/problem+json", notify.Content.Headers.ContentType?.MediaType);
        Assert.Contains("requires a regulator report", (await notify.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var after = await Drive.ShowAsync(client, incident.Id);
        Assert.Equal(IncidentStatus.Contained, after.Status);
        Assert.Null(after.Notices);
        Assert.Equal(Grade.III, after.Grade);
    }

    [Fact]
    public async Task A_general_incident_without_a_leak_goes_from_contained_to_resolved_without_a_report()
    {
        using var client = factory.CreateOnCall();
        var incident = await Drive.DeclareAsync(client, factory.Clock.GetUtcNow(), IncidentType.ServiceOutage, "Checkout down for 20 minutes");
        await Drive.GradeAsync(client, incident.Id, 0, []);
        await Drive.ContainAsync(client, incident.Id);

        using var resolve = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/resolve", new { summary = "Restored" });
        using var review = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "Add a second replica" });
        using var reviewAgain = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "again" });

        Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        var reviewed = (await review.Content.ReadFromJsonAsync<IncidentView>())!;
        Assert.Equal(IncidentStatus.Reviewed, reviewed.Status);
        Assert.Null(reviewed.Clock.FinalSummaryDueAt);
        Assert.Equal(HttpStatusCode.Conflict, reviewAgain.StatusCode);
    }

    [Fact]
    public async Task Containment_tasks_come_from_the_type_checklist_with_owners_and_due_times()
    {
        using var client = factory.CreateOnCall();
        var incident = await Drive.DeclareAsync(client, factory.Clock.GetUtcNow(), IncidentType.Ransomware, "Encrypted file shares");
        var graded = await Drive.GradeAsync(client, incident.Id, 0, []);
        var isolate = graded.Tasks[0];

        using var assign = await client.PutAsJsonAsync($"/v1/incidents/{incident.Id}/tasks/{isolate.Id}", new { owner = "ops-li", done = true });
        var view = (await assign.Content.ReadFromJsonAsync<IncidentView>())!;

        Assert.Equal(Checklists.For(IncidentType.Ransomware).Count, graded.Tasks.Count);
        Assert.Equal("Isolate affected hosts from the network", isolate.Title);
        Assert.Equal("platform", isolate.Owner);
        Assert.True(isolate.DueAt > factory.Clock.GetUtcNow());
        Assert.Equal(("ops-li", "lead-wang"), (view.Tasks[0].Owner, view.Tasks[0].DoneBy));
        Assert.Contains(view.Timeline, t => t.Kind == "task" && t.Detail.Contains("owner platform -> ops-li"));
    }

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task The_initial_report_is_short_and_an_update_completes_it_and_the_final_summary_is_due_30_days_after_resolving()
    {
        using var client = factory.CreateOnCall();
        var now = factory.Clock.GetUtcNow();
        var incident = await Drive.DeclareAsync(client, now, IncidentType.Intrusion, "Admin account taken over");
        await Drive.GradeAsync(client, incident.Id, 0, []);
        using var grade = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/grade",
            new { peopleAffected = 0, categories = Array.Empty<string>(), economicLossCny = 6_000_000, criticalSystemOutageMinutes = 0 });
        var draft = await client.GetFromJsonAsync<ReportContent>($"/v1/incidents/{incident.Id}/report/draft");

        using var emptyInitial = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/reports",
            new { kind = "Initial", content = new { @operator = "PrivacySuite operator" } });
        using var shortInitial = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/reports", new { kind = "Initial", content = draft });
        using var incompleteUpdate = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/reports", new { kind = "Update", content = draft, complete = true });
        await Drive.FileReportAsync(client, incident.Id, ReportKind.Update, complete: true);
        await Drive.ContainAsync(client, incident.Id);
        using var resolve = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/resolve", new { summary = "Account recovered" });
        using var reviewEarly = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "x" });
        await Drive.FileReportAsync(client, incident.Id, ReportKind.Final);
        using var review = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "MFA for admins" });

        Assert.Equal(HttpStatusCode.OK, grade.StatusCode);
        Assert.Equal("PrivacySuite operator", draft!.Operator);
        Assert.Contains("grade III", draft.TypeAndGrade);
        Assert.Equal(HttpStatusCode.BadRequest, emptyInitial.StatusCode);
        Assert.Equal(HttpStatusCode.Created, shortInitial.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, incompleteUpdate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        var resolved = (await resolve.Content.ReadFromJsonAsync<IncidentView>())!;
        Assert.Equal(IncidentStatus.Resolved, resolved.Status);
        Assert.Equal(resolved.Timeline.Last().At.AddDays(30), resolved.Clock.FinalSummaryDueAt);
        Assert.NotNull(resolved.Clock.ReportCompletedAt);
        Assert.Equal(HttpStatusCode.Conflict, reviewEarly.StatusCode);
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        var reviewed = (await review.Content.ReadFromJsonAsync<IncidentView>())!;
        Assert.Equal([ReportKind.Initial, ReportKind.Update, ReportKind.Final], reviewed.Reports.Select(r => r.Kind));
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    public async Task The_timeline_is_append_only_in_the_database()
    {
        using var client = factory.CreateOnCall();
        var incident = await Drive.DeclareAsync(client, factory.Clock.GetUtcNow());
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();

        await using var update = new NpgsqlCommand($"update timeline set actor = 'someone-else' where incident_id = '{incident.Id}'", connection);
        await using var delete = new NpgsqlCommand($"delete from timeline where incident_id = '{incident.Id}'", connection);
        var updateError = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        var deleteError = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());

        Assert.Contains("append-only", updateError.MessageText);
        Assert.Contains("append-only", deleteError.MessageText);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Equal("lead-wang", Assert.Single(view.Timeline).Actor);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_problem_details_and_changes_nothing()
    {
        using var client = factory.CreateOnCall();
        var before = (await client.GetFromJsonAsync<List<IncidentSummary>>("/v1/incidents?all=true"))!.Count;
        var incident = await Drive.DeclareAsync(client, factory.Clock.GetUtcNow());

        using var noTitle = await client.PostAsJsonAsync("/v1/incidents", new { type = "DataLeak", place = "x", awareAt = DateTimeOffset.UtcNow });
        using var future = await client.PostAsJsonAsync("/v1/incidents",
            new { title = "From the future", type = "DataLeak", place = "x", awareAt = factory.Clock.GetUtcNow().AddHours(2) });
        using var badType = await client.PostAsJsonAsync("/v1/incidents", new { title = "Bad type", type = "Meteor", place = "x", awareAt = DateTimeOffset.UtcNow });
        using var malformed = await client.PostAsync("/v1/incidents", new StringContent("{\"title\":", Encoding.UTF8, "application/json"));
        using var badCategory = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/grade", new { peopleAffected = 5, categories = new[] { "business" }, economicLossCny = 0, criticalSystemOutageMinutes = 0 });
        using var negative = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/grade", new { peopleAffected = -5, categories = new[] { "contact" }, economicLossCny = 0, criticalSystemOutageMinutes = 0 });
        using var unknown = await client.GetAsync($"/v1/incidents/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.BadRequest, noTitle.StatusCode);
        Assert.Equal((HttpStatusCode)422, future.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCategory.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        foreach (var response in new[] { noTitle, future, badType, malformed, badCategory, negative, unknown })
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(before + 1, (await client.GetFromJsonAsync<List<IncidentSummary>>("/v1/incidents?all=true"))!.Count);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Equal((IncidentStatus.Declared, (Grade?)null), (view.Status, view.Grade));
    }

    [Fact]
    public async Task The_privacy_officer_reads_but_only_on_call_drives()
    {
        using var onCall = factory.CreateOnCall();
        using var officer = factory.CreateFor(SuiteRoles.PrivacyOfficer, "dpo-zhao");
        using var backend = factory.CreateProductBackendClient();
        var incident = await Drive.DeclareAsync(onCall, factory.Clock.GetUtcNow());

        using var read = await officer.GetAsync($"/v1/incidents/{incident.Id}");
        using var declare = await officer.PostAsJsonAsync("/v1/incidents", new { title = "Not mine", type = "DataLeak", place = "x", awareAt = DateTimeOffset.UtcNow });
        using var backendRead = await backend.GetAsync("/v1/incidents");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, declare.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, backendRead.StatusCode);
    }

    [Fact]
    public async Task A_note_goes_on_the_timeline_with_time_and_person_and_a_reviewed_incident_takes_none()
    {
        using var client = factory.CreateOnCall("lead-zhao");
        var incident = await Drive.DeclareAsync(client, factory.Clock.Now(), IncidentType.ServiceOutage, "Payments API down");

        using var note = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notes", new { text = "Called the hosting provider; ticket 4411" });
        using var empty = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notes", new { text = "" });
        using var tooLong = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notes", new { text = new string('x', 2001) });
        using var nowhere = await client.PostAsJsonAsync($"/v1/incidents/{Guid.NewGuid()}/notes", new { text = "lost" });

        await Drive.ExpectAsync(note, HttpStatusCode.OK);
        var line = (await note.Content.ReadFromJsonAsync<IncidentView>())!.Timeline[^1];
        Assert.Equal(("note", "lead-zhao", "Called the hosting provider; ticket 4411"), (line.Kind, line.Actor, line.Detail));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, nowhere.StatusCode);
        Assert.Equal("application/problem+json", nowhere.Content.Headers.ContentType?.MediaType);
        Assert.Contains("timeline is closed", new Incident { Status = IncidentStatus.Reviewed }.Note());
    }
}
