using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;
using Xunit.Abstractions;

namespace PrivacySuite.Incidents.Tests;

public sealed class DrillFactory : IncidentsFactory
{
    public const int Subjects = 1_000_000;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        Vault.Population = Subjects;
        Vault.OverlapPages = true; // every page repeats one subject of the page before: none may be told twice
        settings["PrivacySuite:Incidents:VaultPageSize"] = "10000";
        settings["PrivacySuite:Incidents:BulletinThreshold"] = "100000";
    }
}

/// <summary>
/// Item 7 of issue 7: a grade-III leak of 1,000,000 subjects, driven through every step with a moved clock.
/// The vault is a local stand-in with its exact contract; Notifications' exactly-once delivery is checked once it is wired.
/// </summary>
public sealed class DrillTests(DrillFactory factory, ITestOutputHelper output) : IClassFixture<DrillFactory>
{
    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.7")]
    [Trait("Clause", "IWK-2.9")]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_grade_III_leak_of_a_million_subjects_runs_to_resolution_on_time_with_one_notice_each_and_a_bulletin()
    {
        using var lead = factory.CreateOnCall("lead-wang");
        var awareAt = factory.Clock.Now().AddMinutes(-30);

        var incident = await Drive.DeclareAsync(lead, awareAt);
        var graded = await Drive.GradeAsync(lead, incident.Id, DrillFactory.Subjects);
        Assert.Equal(Grade.III, graded.Grade);
        Assert.Equal(awareAt.AddHours(4), graded.Clock.ReportDueAt);

        await Drive.ContainAsync(lead, incident.Id);
        factory.Clock.Advance(TimeSpan.FromHours(2)); // 2.5 h after awareness: past half the window
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Escalations.Any(e => e.IncidentId == incident.Id)),
            TimeSpan.FromSeconds(20), "the 50% escalation");
        await Drive.FileReportAsync(lead, incident.Id, ReportKind.Initial);
        var reported = await Drive.ShowAsync(lead, incident.Id);
        Assert.Equal(IncidentStatus.Reported, reported.Status);
        Assert.True(reported.Clock.FirstReportAt <= reported.Clock.ReportDueAt);
        Assert.False(reported.Clock.Overdue);

        var planning = Stopwatch.StartNew();
        using var notify = await Drive.NotifyAsync(lead, incident.Id, awareAt.AddDays(-30), awareAt);
        await Drive.ExpectAsync(notify, HttpStatusCode.Accepted);
        CampaignView? campaign = null;
        await Eventually.HoldsAsync(async () =>
        {
            campaign = await lead.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return campaign!.Status == "requested";
        }, TimeSpan.FromMinutes(4), "the million subjects are planned");
        var planned = planning.Elapsed;
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Batches.Count(b => b.CampaignId == campaign!.Id) == campaign!.BatchesRequested),
            TimeSpan.FromMinutes(2), "every batch reaches the broker");
        var published = planning.Elapsed;
        output.WriteLine($"planned {DrillFactory.Subjects:N0} subjects in {planned.TotalSeconds:0.0} s; all {campaign!.BatchesRequested} batches on the broker after {published.TotalSeconds:0.0} s; vault pages served {factory.Vault.PagesServed}");

        var batches = factory.Observer.Batches.Where(b => b.CampaignId == campaign.Id).ToList();
        var seen = new HashSet<string>(DrillFactory.Subjects);
        var total = 0;
        foreach (var batch in batches)
        {
            foreach (var subject in batch.SubjectIds)
            {
                total++;
                seen.Add(subject);
            }
        }

        Assert.Equal(DrillFactory.Subjects, total);
        Assert.Equal(DrillFactory.Subjects, seen.Count);
        Assert.Equal(batches.Count, batches.Select(b => b.BatchId).Distinct().Count());
        Assert.Equal(DrillFactory.Subjects, campaign.SubjectsPlanned);
        Assert.Equal("affected-count-over-threshold", campaign.Bulletin!.Reason);
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Bulletins.Count(b => b.IncidentId == incident.Id) == 1),
            TimeSpan.FromSeconds(20), "the bulletin reaches the broker");

        using var resolve = await lead.PostAsJsonAsync($"/v1/incidents/{incident.Id}/resolve", new { summary = "Notices and bulletin requested" });
        await Drive.ExpectAsync(resolve, HttpStatusCode.OK);
        var resolved = (await resolve.Content.ReadFromJsonAsync<IncidentView>())!;
        var resolvedAt = resolved.Timeline.Single(t => t.Kind == "resolved").At;
        Assert.Equal(resolvedAt.AddDays(30), resolved.Clock.FinalSummaryDueAt);

        factory.Clock.Advance(TimeSpan.FromDays(29));
        using var reviewEarly = await lead.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "Lessons" });
        Assert.Equal(HttpStatusCode.Conflict, reviewEarly.StatusCode);
        await Drive.FileReportAsync(lead, incident.Id, ReportKind.Final);
        using var review = await lead.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "Lessons" });
        await Drive.ExpectAsync(review, HttpStatusCode.OK);

        var closed = await Drive.ShowAsync(lead, incident.Id);
        Assert.Equal(IncidentStatus.Reviewed, closed.Status);
        Assert.True(closed.Clock.FinalSummaryAt <= closed.Clock.FinalSummaryDueAt);
        Assert.Equal(
            ["declared", "triaged", "contained", "escalated-50", "report-initial", "notifying", "notices-requested", "bulletin", "resolved", "report-final", "reviewed"],
            closed.Timeline.Where(t => t.Kind != "task").Select(t => t.Kind));
        Assert.Single(factory.Observer.Resolutions, r => r.IncidentId == incident.Id);
    }
}
