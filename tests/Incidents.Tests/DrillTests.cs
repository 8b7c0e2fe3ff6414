using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;
using Xunit.Abstractions;

namespace PrivacySuite.Incidents.Tests;

/// <summary>
/// The drill's suite: the real vault holds a million affected subjects and some that are not affected; the real
/// notification service sends the notices.
/// <para>
/// The drill's subjects are reached by push, through the notification service's real HTTP push gateway client, to
/// <see cref="PushReceiver"/> (a far side that counts what it takes per address), not by e-mail to MailDev: MailDev keeps
/// every mail in memory and spends as much CPU per mail as the campaign itself (docs/benchmarks.md, notify-campaign),
/// so a million mails would take it past the drill's time on two cores and hold gigabytes. The e-mail path, with
/// both languages and the five parts, is proven end to end by <see cref="EndToEndTests"/>; the drill proves the scale
/// and exactly-once, which do not depend on the channel: the ledger, the leases and the vault look-ups are the same.
/// </para>
/// </summary>
public sealed class DrillFactory : SuiteFactory
{
    public const int Subjects = 1_000_000;

    /// <summary>Every this-many affected subject has no contact in the vault (identity data only): unreachable.</summary>
    public const int UnreachableEvery = 200;

    public const int Unreachable = Subjects / UnreachableEvery;

    public const int Reachable = Subjects - Unreachable;

    /// <summary>Subjects with data outside the leak's window, and with data of another category: never told.</summary>
    public const int Bystanders = 1_000;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["PrivacySuite:Incidents:VaultPageSize"] = "5000"; // the most the vault's affected-subjects listing serves
        settings["PrivacySuite:Incidents:BulletinThreshold"] = "100000";
    }

    protected override IReadOnlyDictionary<string, string?> NotificationSettings => new Dictionary<string, string?>
    {
        // The push gateway's contracted rate would be configuration too; the drill's receiver takes whatever comes.
        ["PrivacySuite:Notifications:RatePerSecond:push"] = "1000000",
        ["PrivacySuite:Notifications:BatchSize"] = "500", // one vault call per claimed batch, the most the vault's batch look-up takes
    };

    public static string Subject(int i) => $"drill-{i:D7}";

    public static string PushToken(string subjectId) => "push-" + subjectId;
}

/// <summary>
/// Item 7 of issue 7: a grade-III leak of 1,000,000 subjects driven through every step with a moved clock, through the
/// real vault (affected subjects resolved page by page from a million seeded subjects) and the real notification
/// service (contacts from the vault at send time, the send ledger, push to a counting receiver).
/// </summary>
public sealed class DrillTests(DrillFactory factory, ITestOutputHelper output) : IClassFixture<DrillFactory>
{
    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.7")]
    [Trait("Clause", "IWK-2.8")]
    [Trait("Clause", "IWK-2.9")]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_grade_III_leak_of_a_million_subjects_runs_to_resolution_on_time_with_one_notice_for_each_reachable_subject_and_a_bulletin()
    {
        var drill = Stopwatch.StartNew();
        var stateDir = factory.Infrastructure.StateDir;
        var cpuStart = ProcessCpu.Read(stateDir);
        var now = factory.Clock.Now();
        var awareAt = now.AddMinutes(-30);
        var seeded = await SeedAsync(now);
        var seedTime = drill.Elapsed;
        output.WriteLine($"seeded {seeded:N0} vault values in {seedTime.TotalSeconds:0.0} s, {(ProcessCpu.Read(stateDir) - cpuStart).PerThousand(DrillFactory.Subjects)} ms CPU per 1,000 subjects");

        using var lead = factory.CreateOnCall("lead-wang");
        var incident = await Drive.DeclareAsync(lead, awareAt);
        var graded = await Drive.GradeAsync(lead, incident.Id, DrillFactory.Subjects);
        Assert.Equal(Grade.III, graded.Grade);
        Assert.Equal(awareAt.AddHours(4), graded.Clock.ReportDueAt); // from awareness, not from the declaration

        await Drive.ContainAsync(lead, incident.Id);
        factory.Clock.Advance(TimeSpan.FromHours(2)); // 2.5 h after awareness: past half the window
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Escalations.Any(e => e.IncidentId == incident.Id)),
            TimeSpan.FromSeconds(20), "the 50% escalation");
        using (var early = await Drive.NotifyAsync(lead, incident.Id, awareAt.AddDays(-30), awareAt))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode); // grade III: no skipping the report
        }

        await Drive.FileReportAsync(lead, incident.Id, ReportKind.Initial);
        var reported = await Drive.ShowAsync(lead, incident.Id);
        Assert.Equal(IncidentStatus.Reported, reported.Status);
        Assert.True(reported.Clock.FirstReportAt <= reported.Clock.ReportDueAt);
        Assert.False(reported.Clock.Overdue);

        var campaignTime = Stopwatch.StartNew();
        var cpuCampaign = ProcessCpu.Read(stateDir);
        using (var notify = await Drive.NotifyAsync(lead, incident.Id, awareAt.AddDays(-30), awareAt))
        {
            await Drive.ExpectAsync(notify, HttpStatusCode.Accepted);
        }

        CampaignView? campaign = null;
        await Eventually.HoldsAsync(async () =>
        {
            campaign = await lead.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return campaign!.Status == "requested";
        }, TimeSpan.FromMinutes(3), "the million subjects are resolved from the vault and planned");
        var planned = campaignTime.Elapsed;
        output.WriteLine($"planned in {planned.TotalSeconds:0.0} s");
        Assert.Equal(DrillFactory.Subjects, campaign!.SubjectsPlanned);
        Assert.Equal(DrillFactory.Subjects / 5_000, campaign.BatchesRequested);
        // One bulletin, for whichever came first: the count passing the threshold when planning ended, or the first
        // unreachable subject (notices go out while later pages are still being planned).
        Assert.Contains(campaign.Bulletin!.Reason, new[] { "affected-count-over-threshold", "subjects-unreachable" });

        // Progress as the on-call team sees it, until every subject has an outcome.
        var lastLog = TimeSpan.Zero;
        await Eventually.HoldsAsync(async () =>
        {
            campaign = await lead.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            if (campaignTime.Elapsed - lastLog > TimeSpan.FromSeconds(30))
            {
                lastLog = campaignTime.Elapsed;
                var backlog = (await factory.Notifications.QueryAsync<long>("select count(*) from outbox_messages where sent_at is null")).Single();
                output.WriteLine($"{lastLog.TotalSeconds:0} s: delivered {campaign!.Delivered:N0}, failed {campaign.Failed:N0}, pushes received {factory.Push.Total:N0}, " +
                                 $"notifications' outbox backlog {backlog:N0}");
            }

            return campaign!.Delivered + campaign.Failed >= DrillFactory.Subjects;
        }, TimeSpan.FromMinutes(12), "every affected subject has an outcome, as the incident sees it");
        var told = campaignTime.Elapsed;
        output.WriteLine($"every outcome after {told.TotalSeconds:0.0} s, {(ProcessCpu.Read(stateDir) - cpuCampaign).PerThousand(DrillFactory.Subjects)} ms CPU per 1,000 subjects");
        Assert.Equal((DrillFactory.Reachable, DrillFactory.Unreachable), ((int)campaign!.Delivered, (int)campaign.Failed));

        // The ledger of the notification service: exactly one delivered notice per reachable subject, none twice.
        var batches = Enumerable.Range(1, campaign.BatchesRequested).Select(n => DeterministicIds.Batch(campaign.Id, n)).ToArray();
        var ledger = (await factory.Notifications.QueryAsync<string>(
            """
            select concat_ws(',',
              (select count(*) from deliveries where request_id = any($1)),
              (select count(*) from deliveries where subject_id like 'bystander-%'),
              (select count(distinct subject_id) from deliveries where request_id = any($1)),
              (select count(*) from deliveries where request_id = any($1) and status = 'delivered' and channel = 'push'),
              (select count(*) from deliveries where request_id = any($1) and status = 'failed' and reason = 'no-contact'),
              (select count(*) from send_attempts where request_id = any($1) and state = 'sent'),
              (select count(*) from (select subject_id from send_attempts where request_id = any($1) group by subject_id having count(*) > 1) twice))
            """, (object)batches)).Single();
        Assert.Equal($"{DrillFactory.Subjects},0,{DrillFactory.Subjects},{DrillFactory.Reachable},{DrillFactory.Unreachable},{DrillFactory.Reachable},0", ledger);

        // The far side: each reachable subject's push token got exactly one message; no one else's got any.
        Assert.Equal(DrillFactory.Reachable, factory.Push.Total);
        Assert.Equal(DrillFactory.Reachable, factory.Push.Received.Count);
        Assert.All(factory.Push.Received.Values, count => Assert.Equal(1, count));
        for (var i = 0; i < DrillFactory.Subjects; i += DrillFactory.UnreachableEvery)
        {
            Assert.False(factory.Push.Received.ContainsKey(DrillFactory.PushToken(DrillFactory.Subject(i))));
        }

        Assert.DoesNotContain(factory.Push.Received.Keys, k => k.Contains("bystander", StringComparison.Ordinal));
        Assert.Equal(["en", "zh-CN", "zh-CN,en"], factory.Push.FirstByLanguage.Keys.Order());
        Assert.Contains(Drive.Text("zh-CN").SecurityAdvice, factory.Push.FirstByLanguage["zh-CN"].Body);
        Assert.Contains(Drive.Text("en").SecurityAdvice, factory.Push.FirstByLanguage["en"].Body);
        Assert.Contains(Drive.Text("en").WhatHappened, factory.Push.FirstByLanguage["zh-CN,en"].Body);
        Assert.Contains(Drive.Text("zh-CN").WhatHappened, factory.Push.FirstByLanguage["zh-CN,en"].Body);

        // One public bulletin (IWK-2.9): over the threshold, and not again for the unreachable ones.
        Assert.Single(factory.Observer.Bulletins, b => b.IncidentId == incident.Id);
        using var anyone = factory.Notifications.CreateClient();
        var bulletin = await anyone.GetFromJsonAsync<JsonElement>($"/v1/bulletins/{campaign.Bulletin!.Id}");
        Assert.Contains(Drive.Text("zh-CN").WhatHappened, bulletin.GetProperty("zhCn").GetProperty("body").GetString());
        Assert.Equal([campaign.Bulletin.Id.ToString()], await factory.Notifications.QueryAsync<string>("select bulletin_id::text from bulletins"));

        using (var resolve = await lead.PostAsJsonAsync($"/v1/incidents/{incident.Id}/resolve", new { summary = "Every reachable subject told; bulletin published" }))
        {
            await Drive.ExpectAsync(resolve, HttpStatusCode.OK);
            var resolved = (await resolve.Content.ReadFromJsonAsync<IncidentView>())!;
            var resolvedAt = resolved.Timeline.Single(t => t.Kind == "resolved").At;
            Assert.Equal(resolvedAt.AddDays(30), resolved.Clock.FinalSummaryDueAt);
        }

        factory.Clock.Advance(TimeSpan.FromDays(29));
        using (var reviewEarly = await lead.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "Lessons" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, reviewEarly.StatusCode); // the final summary comes first
        }

        await Drive.FileReportAsync(lead, incident.Id, ReportKind.Final);
        using (var review = await lead.PostAsJsonAsync($"/v1/incidents/{incident.Id}/review", new { summary = "Lessons" }))
        {
            await Drive.ExpectAsync(review, HttpStatusCode.OK);
        }

        var closed = await Drive.ShowAsync(lead, incident.Id);
        Assert.Equal(IncidentStatus.Reviewed, closed.Status);
        Assert.True(closed.Clock.FinalSummaryAt <= closed.Clock.FinalSummaryDueAt);
        var timeline = closed.Timeline.Where(t => t.Kind != "task").Select(t => t.Kind).ToList();
        Assert.Equal(
            ["declared", "triaged", "contained", "escalated-50", "report-initial", "notifying", "notices-requested", "resolved", "report-final", "reviewed"],
            timeline.Where(k => k != "bulletin"));
        Assert.Single(timeline, k => k == "bulletin");
        Assert.InRange(timeline.IndexOf("bulletin"), timeline.IndexOf("notifying") + 1, timeline.IndexOf("resolved") - 1);
        Assert.Single(factory.Observer.Resolutions, r => r.IncidentId == incident.Id);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"drill {drill.Elapsed.TotalSeconds:0} s: seeded {seeded:N0} vault values in {seedTime.TotalSeconds:0.0} s; planned {DrillFactory.Subjects:N0} subjects from the vault in {planned.TotalSeconds:0.0} s; " +
            $"every outcome after {told.TotalSeconds:0.0} s ({DrillFactory.Subjects / (told - planned).TotalSeconds:0} notices/s after planning)"));
    }

    /// <summary>
    /// The vault's population: a million subjects whose contact or identity data was stored in the last 29 days (one in
    /// 200 without a contact), a third of them reading Chinese, a third English and a third with no language known (told
    /// in both); bystanders whose data is older than the window or of another category.
    /// </summary>
    private async Task<long> SeedAsync(DateTimeOffset now)
    {
        static IEnumerable<SeedSubject> Population(DateTimeOffset now)
        {
            for (var i = 0; i < DrillFactory.Subjects; i++)
            {
                var id = DrillFactory.Subject(i);
                var storedAt = now.AddDays(-1 - (i % 28)).AddSeconds(-(i % 3_600));
                yield return i % DrillFactory.UnreachableEvery == 0
                    ? new SeedSubject(id, storedAt, [new("identity", "name", $"Drill Person {i}")])
                    : new SeedSubject(id, storedAt, (i % 3) switch
                    {
                        0 => [new("contact", "push", DrillFactory.PushToken(id)), new("contact", "language", "zh-CN")],
                        1 => [new("contact", "push", DrillFactory.PushToken(id)), new("contact", "language", "en")],
                        _ => [new("contact", "push", DrillFactory.PushToken(id))], // no language known: told in both
                    });
            }

            for (var i = 0; i < DrillFactory.Bystanders; i++)
            {
                var old = $"bystander-old-{i:D4}";
                yield return new SeedSubject(old, now.AddDays(-90), [new("contact", "push", DrillFactory.PushToken(old))]);
                var device = $"bystander-device-{i:D4}";
                yield return new SeedSubject(device, now.AddDays(-2), [new("device", "imei", $"35693803564{i:D4}")]);
            }
        }

        return await VaultSeeder.SeedAsync(factory.RealVault, Population(now));
    }
}
