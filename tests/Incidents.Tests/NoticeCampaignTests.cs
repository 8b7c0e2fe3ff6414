using PrivacySuite.Contracts;
using System.Net;
using System.Net.Http.Json;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;

namespace PrivacySuite.Incidents.Tests;

public sealed class NoticeCampaignFactory : IncidentsFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        Vault.Population = 2_500;
        Vault.OverlapPages = true; // every page repeats one subject of the page before: none may be told twice
    }
}

/// <summary>The vault is a local stand-in with its exact contract (see <see cref="VaultStandIn"/>); it is being built in parallel.</summary>
public sealed class NoticeCampaignTests(NoticeCampaignFactory factory) : IClassFixture<NoticeCampaignFactory>
{
    private async Task<(IncidentView Incident, CampaignView Campaign)> NotifiedAsync(HttpClient client)
    {
        var now = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(client, now.AddMinutes(-20));
        await Drive.GradeAsync(client, incident.Id, 1_200_000);
        await Drive.ContainAsync(client, incident.Id);
        await Drive.FileReportAsync(client, incident.Id, ReportKind.Initial);
        using var notify = await Drive.NotifyAsync(client, incident.Id, now.AddDays(-7), now);
        await Drive.ExpectAsync(notify, HttpStatusCode.Accepted);
        CampaignView? campaign = null;
        await Eventually.HoldsAsync(async () =>
        {
            campaign = await client.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return campaign!.Status == "requested";
        }, TimeSpan.FromSeconds(30), "every batch of the campaign is requested");
        return (incident, campaign!);
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.8")]
    public async Task Subjects_from_the_vault_get_one_notice_each_with_the_five_parts_in_both_languages()
    {
        using var client = factory.CreateOnCall();
        var (incident, campaign) = await NotifiedAsync(client);
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Batches.Count(b => b.CampaignId == campaign.Id) == 3),
            TimeSpan.FromSeconds(20), "three batches reach the broker");
        using var again = await Drive.NotifyAsync(client, incident.Id, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);

        var batches = factory.Observer.Batches.Where(b => b.CampaignId == campaign.Id).OrderBy(b => b.BatchNumber).ToList();
        var subjects = batches.SelectMany(b => b.SubjectIds).ToList();
        Assert.Equal(2_500, subjects.Count);
        Assert.Equal(2_500, subjects.Distinct().Count());
        Assert.Equal([1, 2, 3], batches.Select(b => b.BatchNumber));
        Assert.Equal(batches.Select(b => DeterministicIds.Batch(campaign.Id, b.BatchNumber)), batches.Select(b => b.BatchId));
        var variables = batches[0].Variables;
        foreach (var part in NoticeVariables.IncidentParts)
        {
            Assert.StartsWith("[zh-CN]", variables[$"{part}.zh-CN"]);
            Assert.StartsWith("[en]", variables[$"{part}.en"]);
        }

        Assert.Equal((2_500L, 3, (BulletinView?)null), (campaign.SubjectsPlanned, campaign.BatchesRequested, campaign.Bulletin));
        Assert.Equal(("window", 0, 0L), (campaign.Scope, campaign.SubjectsNamed, campaign.SubjectsNotFound));
        Assert.Contains(factory.Vault.Queries, q => q.Categories == "contact,identity" && q.From == campaign.From && q.To == campaign.To);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var resolve = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/resolve", new { summary = "Notices requested" });
        await Drive.ExpectAsync(resolve, HttpStatusCode.OK);
    }

    [Fact]
    [Trait("Clause", "IWK-2.9")]
    public async Task Subjects_who_cannot_be_reached_bring_one_public_bulletin_and_show_in_the_progress()
    {
        using var client = factory.CreateOnCall();
        var (incident, campaign) = await NotifiedAsync(client);
        var batch = DeterministicIds.Batch(campaign.Id, 1);

        // Notifications answers delivered subjects together, one event per commit of its sender.
        await factory.Observer.PublishAsync(new NoticesDelivered(
            batch, [new DeliveredNotice(VaultStandIn.Subject(0), "email"), new DeliveredNotice(VaultStandIn.Subject(3), "sms")], DateTimeOffset.UtcNow));
        await factory.Observer.PublishAsync(new NoticeFailed(batch, VaultStandIn.Subject(1), "no-channel", DateTimeOffset.UtcNow));
        await factory.Observer.PublishAsync(new NoticeFailed(batch, VaultStandIn.Subject(2), "no-channel", DateTimeOffset.UtcNow));
        CampaignView? progress = null;
        await Eventually.HoldsAsync(async () =>
        {
            progress = await client.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return progress is { Delivered: 2, Failed: 2 };
        }, TimeSpan.FromSeconds(20), "the outcomes are counted");
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Bulletins.Any(b => b.IncidentId == incident.Id)),
            TimeSpan.FromSeconds(20), "the bulletin reaches the broker");
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal("subjects-unreachable", progress!.Bulletin!.Reason);
        var bulletin = Assert.Single(factory.Observer.Bulletins, b => b.IncidentId == incident.Id);
        Assert.Equal(DeterministicIds.Bulletin(incident.Id), bulletin.BulletinId);
        Assert.Equal(NoticeTypes.IncidentNotice, bulletin.NoticeType);
        Assert.StartsWith("[zh-CN]", bulletin.Variables["security_advice.zh-CN"]);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Single(view.Timeline, t => t.Kind == "bulletin");
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    public async Task A_vault_outage_mid_campaign_resumes_from_the_cursor_without_telling_anyone_twice()
    {
        using var client = factory.CreateOnCall();
        factory.Vault.FailAtCursor = "1000";
        Interlocked.Exchange(ref factory.Vault.FailuresLeft, 8); // more than one call's retries: the planner itself must come back

        var (_, campaign) = await NotifiedAsync(client);
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Batches.Count(b => b.CampaignId == campaign.Id) == campaign.BatchesRequested),
            TimeSpan.FromSeconds(20), "every batch reaches the broker");

        var subjects = factory.Observer.Batches.Where(b => b.CampaignId == campaign.Id).SelectMany(b => b.SubjectIds).ToList();
        Assert.True(factory.Vault.FailuresLeft < 0);
        Assert.Equal(2_500, subjects.Count);
        Assert.Equal(2_500, subjects.Distinct().Count());
        Assert.Equal(3, campaign.BatchesRequested);
    }

    [Fact]
    public async Task A_notice_campaign_with_a_bad_window_or_missing_text_is_refused_and_nothing_starts()
    {
        using var client = factory.CreateOnCall();
        var now = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(client, now);
        await Drive.GradeAsync(client, incident.Id, 10);
        await Drive.ContainAsync(client, incident.Id);

        using var backwards = await Drive.NotifyAsync(client, incident.Id, now, now.AddDays(-1));
        using var noText = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notify",
            new { affected = new { kind = "window", categories = new[] { "contact" }, from = now.AddDays(-1), to = now }, en = Drive.Text("en") });
        using var badCategory = await Drive.NotifyAsync(client, incident.Id, new { kind = "window", categories = new[] { "business" }, from = now.AddDays(-1), to = now });

        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noText.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCategory.StatusCode);
        using var none = await client.GetAsync($"/v1/incidents/{incident.Id}/notices");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal(IncidentStatus.Contained, (await Drive.ShowAsync(client, incident.Id)).Status);
    }

    public static TheoryData<string, string> BadScopes => new()
    {
        // No scope at all, or the window's fields where the scope belongs (the request's shape before scopes): never a default.
        { """{ "zhCn": TEXT, "en": TEXT }""", "affected" },
        { """{ "categories": ["contact"], "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "zhCn": TEXT, "en": TEXT }""", "categories" },
        { """{ "affected": { "categories": ["contact"] }, "zhCn": TEXT, "en": TEXT }""", "kind" },
        { """{ "affected": { "kind": "backup" }, "zhCn": TEXT, "en": TEXT }""", "kind" },
        { """{ "affected": { "kind": "window", "categories": ["contact"], "from": "2026-01-01T00:00:00Z" }, "zhCn": TEXT, "en": TEXT }""", "to" },
        { """{ "affected": { "kind": "window", "categories": ["contact"], "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "subjectIds": ["a-1"] }, "zhCn": TEXT, "en": TEXT }""", "subjectIds" },
        { """{ "affected": { "kind": "category", "categories": ["contact"], "from": "2026-01-01T00:00:00Z" }, "zhCn": TEXT, "en": TEXT }""", "from" },
        { """{ "affected": { "kind": "category" }, "zhCn": TEXT, "en": TEXT }""", "categories" },
        { """{ "affected": { "kind": "everyone", "categories": ["contact"] }, "zhCn": TEXT, "en": TEXT }""", "categories" },
        { """{ "affected": { "kind": "subjects" }, "zhCn": TEXT, "en": TEXT }""", "subjectIds" },
        { """{ "affected": { "kind": "subjects", "subjectIds": [] }, "zhCn": TEXT, "en": TEXT }""", "subjectIds" },
        { """{ "affected": { "kind": "subjects", "subjectIds": ["a-1", "not an id"] }, "zhCn": TEXT, "en": TEXT }""", "subjectIds[1]" },
        { """{ "affected": { "kind": "subjects", "subjectIds": ["a-1", "a-2", "a-1"] }, "zhCn": TEXT, "en": TEXT }""", "subjectIds[2]" },
        { """{ "affected": { "kind": "subjects", "subjectIds": TOO_MANY }, "zhCn": TEXT, "en": TEXT }""", "subjectIds" },
        { """{ "affected": { "kind": "everyone", "extra": 1 }, "zhCn": TEXT, "en": TEXT }""", "extra" },
    };

    [Theory]
    [MemberData(nameof(BadScopes))]
    public async Task A_missing_ambiguous_or_unknown_scope_is_refused_naming_the_field_and_nothing_starts(string body, string field)
    {
        using var client = factory.CreateOnCall();
        var now = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(client, now);
        await Drive.GradeAsync(client, incident.Id, 10);
        await Drive.ContainAsync(client, incident.Id);
        var json = body.Replace("TEXT", System.Text.Json.JsonSerializer.Serialize(Drive.Text("en"), System.Text.Json.JsonSerializerOptions.Web))
            .Replace("TOO_MANY", System.Text.Json.JsonSerializer.Serialize(Enumerable.Range(0, AffectedScope.MaxSubjects + 1).Select(i => $"s-{i}")));

        using var response = await client.PostAsync($"/v1/incidents/{incident.Id}/notify", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var fields = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.True(fields.Any(f => f.Equals(field, StringComparison.OrdinalIgnoreCase) || f.EndsWith("." + field, StringComparison.OrdinalIgnoreCase)),
            $"the problem names {field}: {string.Join(", ", fields)}");
        using var none = await client.GetAsync($"/v1/incidents/{incident.Id}/notices");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Equal(IncidentStatus.Contained, view.Status);
        Assert.DoesNotContain(view.Timeline, t => t.Kind == "notifying");
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.9")]
    public async Task The_lead_pauses_and_resumes_a_campaign_and_publishes_the_bulletin_once()
    {
        using var client = factory.CreateOnCall();
        var now = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(client, now.AddMinutes(-20));
        await Drive.GradeAsync(client, incident.Id, 1_200_000);
        await Drive.ContainAsync(client, incident.Id);
        await Drive.FileReportAsync(client, incident.Id, ReportKind.Initial);
        using var early = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notices/pause", new { reason = "wrong window" });
        // The vault stops answering after the first page, so the campaign is still resolving when the lead pauses it.
        factory.Vault.FailAtCursor = "1000";
        Interlocked.Exchange(ref factory.Vault.FailuresLeft, int.MaxValue);
        using var notify = await Drive.NotifyAsync(client, incident.Id, now.AddDays(-7), now);
        await Drive.ExpectAsync(notify, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(async () => (await client.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices"))!.BatchesRequested == 1,
            TimeSpan.FromSeconds(20), "the first batch is requested");

        using var noReason = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notices/pause", new { reason = "" });
        using var pause = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notices/pause", new { reason = "legal checks the wording" });
        using var pauseAgain = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notices/pause", new { reason = "legal checks the wording" });
        Interlocked.Exchange(ref factory.Vault.FailuresLeft, 0); // the vault is back, but a paused campaign plans nothing
        await Task.Delay(TimeSpan.FromSeconds(2));
        var whilePaused = await client.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
        using var resume = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notices/resume", new { reason = "wording approved" });
        CampaignView? done = null;
        await Eventually.HoldsAsync(async () =>
        {
            done = await client.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return done!.Status == CampaignStatus.Requested;
        }, TimeSpan.FromSeconds(30), "the resumed campaign requests every batch");
        using var pauseDone = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/notices/pause", new { reason = "too late" });
        using var bulletin = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/bulletin", new { reason = "contact data is out of date for many" });
        using var bulletinAgain = await client.PostAsJsonAsync($"/v1/incidents/{incident.Id}/bulletin", new { reason = "once more" });
        using var asOfficer = factory.CreateFor(PrivacySuite.ServiceDefaults.Auth.SuiteRoles.PrivacyOfficer, "officer-li");
        using var officerBulletin = await asOfficer.PostAsJsonAsync($"/v1/incidents/{incident.Id}/bulletin", new { reason = "not mine to publish" });
        await Eventually.HoldsAsync(
            () => Task.FromResult(factory.Observer.Bulletins.Any(b => b.IncidentId == incident.Id)),
            TimeSpan.FromSeconds(20), "the bulletin reaches the broker");

        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("no notice campaign yet", await early.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        await Drive.ExpectAsync(pause, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Conflict, pauseAgain.StatusCode);
        Assert.Equal((CampaignStatus.Paused, 1), (whilePaused!.Status, whilePaused.BatchesRequested));
        await Drive.ExpectAsync(resume, HttpStatusCode.OK);
        var subjects = factory.Observer.Batches.Where(b => b.CampaignId == done!.Id).SelectMany(b => b.SubjectIds).ToList();
        Assert.Equal((2_500L, 3), (done!.SubjectsPlanned, done.BatchesRequested));
        Assert.Equal(subjects.Count, subjects.Distinct().Count());
        Assert.Equal(HttpStatusCode.Conflict, pauseDone.StatusCode);
        Assert.Contains("nothing left to pause", await pauseDone.Content.ReadAsStringAsync());
        await Drive.ExpectAsync(bulletin, HttpStatusCode.OK);
        Assert.Equal("on-call-decision", (await bulletin.Content.ReadFromJsonAsync<CampaignView>())!.Bulletin!.Reason);
        Assert.Equal(HttpStatusCode.Conflict, bulletinAgain.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, officerBulletin.StatusCode);
        Assert.Single(factory.Observer.Bulletins, b => b.IncidentId == incident.Id);
        var timeline = (await Drive.ShowAsync(client, incident.Id)).Timeline;
        Assert.Contains(timeline, t => t is { Kind: "notices-paused", Actor: "lead-wang" } && t.Detail.Contains("legal checks the wording"));
        Assert.Contains(timeline, t => t.Kind == "notices-resumed");
        Assert.Contains(timeline, t => t is { Kind: "bulletin", Actor: "lead-wang" } && t.Detail.Contains("contact data is out of date"));
    }
}
