using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.Incidents.Model;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Tests;

/// <summary>The suite with an on-call rota of one, reached by push (the counting receiver) with e-mail behind it.</summary>
public sealed class PagingSuiteFactory : SuiteFactory
{
    public const string Device = "oncall-duty-device";

    protected override IReadOnlyDictionary<string, string?> NotificationSettings => new Dictionary<string, string?>
    {
        ["PrivacySuite:Notifications:OnCall:Responders:duty-1:Language"] = "en",
        ["PrivacySuite:Notifications:OnCall:Responders:duty-1:Push"] = Device,
        ["PrivacySuite:Notifications:OnCall:Responders:duty-1:Email"] = "duty-1@oncall.example",
        ["PrivacySuite:Notifications:OnCall:Rota:0"] = "duty-1",
        ["PrivacySuite:Notifications:OnCall:RotaStart"] = "2026-01-05T09:00:00+08:00",
        ["PrivacySuite:Notifications:OnCall:CheckEvery"] = "00:00:00.200",
    };
}

/// <summary>Issue 21.5 through the real services: the regulator clock of the incidents service reaches the person on call.</summary>
public sealed class PagingEndToEndTests(PagingSuiteFactory factory) : IClassFixture<PagingSuiteFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_report_deadline_that_nears_and_passes_pages_the_person_on_call_at_each_mark_until_acknowledged()
    {
        using var lead = factory.CreateOnCall("lead-li");
        var incident = await Drive.DeclareAsync(lead, factory.Clock.Now());
        var graded = await Drive.GradeAsync(lead, incident.Id, 1_500_000);
        Assert.NotNull(graded.Clock.ReportDueAt);

        using var onCall = factory.Notifications.CreateClientFor(SuiteRoles.OnCall, "duty-1");
        async Task WaitForPagesAsync(int count) => await Eventually.HoldsAsync(async () =>
            (await onCall.GetFromJsonAsync<List<JsonElement>>("/v1/pages?state=open"))!.Count(p => p.GetProperty("reference").GetString() == incident.Id.ToString()) == count,
            TimeSpan.FromSeconds(60), $"{count} pages");

        factory.Clock.Advance(TimeSpan.FromHours(2.1)); // past the 50% mark of the 4-hour clock
        await WaitForPagesAsync(1);
        factory.Clock.Advance(TimeSpan.FromHours(1.6)); // past 90%
        await WaitForPagesAsync(2);
        factory.Clock.Advance(TimeSpan.FromHours(0.5)); // past the deadline

        List<JsonElement> pages = [];
        await Eventually.HoldsAsync(async () =>
        {
            var all = await onCall.GetFromJsonAsync<List<JsonElement>>("/v1/pages?state=open");
            pages = all!.Where(p => p.GetProperty("reference").GetString() == incident.Id.ToString()).ToList();
            return pages.Count == 3 && pages.All(p => p.GetProperty("deliveries").EnumerateArray().Any(d => d.GetProperty("status").GetString() == "delivered"));
        }, TimeSpan.FromSeconds(60), "three pages, each delivered");
        Assert.Equal([OnCallPageKinds.RegulatorReportHalfway, OnCallPageKinds.RegulatorReportNinety, OnCallPageKinds.RegulatorReportOverdue],
            pages.Select(p => p.GetProperty("kind").GetString()).Order(StringComparer.Ordinal));
        Assert.All(pages, p => Assert.Equal("push", p.GetProperty("deliveries")[0].GetProperty("channel").GetString()));
        Assert.True(factory.Push.Received.GetValueOrDefault(PagingSuiteFactory.Device) >= 3);

        foreach (var page in pages)
        {
            using var acknowledged = await onCall.PostAsync($"/v1/pages/{page.GetProperty("pageId").GetGuid()}/acknowledgement", null);
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
            Assert.Equal("duty-1", (await acknowledged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("acknowledgedBy").GetString());
        }

        var open = await onCall.GetFromJsonAsync<List<JsonElement>>("/v1/pages?state=open");
        Assert.DoesNotContain(open!, p => p.GetProperty("reference").GetString() == incident.Id.ToString());
    }
}
