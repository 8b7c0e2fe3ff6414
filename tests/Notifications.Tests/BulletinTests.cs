using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

public sealed class BulletinTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    [Fact]
    [Trait("Clause", "IWK-2.9")]
    [Trait("Clause", "INF-3.4")]
    public async Task An_incident_announcement_is_readable_by_anyone_in_both_languages_and_in_the_feed()
    {
        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall);
        using var anyone = factory.CreateClient();

        using var published = await onCall.PostAsJsonAsync("/v1/bulletins", new { noticeType = "incident-notice", variables = TestHelpers.IncidentVariables() });
        var bulletin = (await published.Content.ReadFromJsonAsync<BulletinView>())!;
        var read = await anyone.GetFromJsonAsync<BulletinView>(published.Headers.Location!.ToString());
        var listed = await anyone.GetFromJsonAsync<BulletinView[]>("/v1/bulletins");
        using var feedResponse = await anyone.GetAsync("/v1/bulletins/feed.atom");
        var feed = XDocument.Parse(await feedResponse.Content.ReadAsStringAsync());
        var englishFeed = XDocument.Parse(await anyone.GetStringAsync("/v1/bulletins/feed.atom?lang=en"));

        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal(bulletin.BulletinId, read!.BulletinId);
        Assert.Contains("五、补救措施", read.ZhCn.Body);
        Assert.Contains("Security advice", read.En.Body);
        Assert.Contains(listed!, b => b.BulletinId == bulletin.BulletinId);
        Assert.Equal("application/atom+xml", feedResponse.Content.Headers.ContentType?.MediaType);
        var entry = Assert.Single(feed.Root!.Elements(Atom + "entry"), e => e.Element(Atom + "id")!.Value == $"urn:uuid:{bulletin.BulletinId}");
        Assert.Equal("个人信息安全事件告知（INC-2026-0042）", entry.Element(Atom + "title")!.Value);
        Assert.Contains(englishFeed.Root!.Elements(Atom + "entry"),
            e => e.Element(Atom + "title")!.Value == "Personal information security incident (INC-2026-0042)");
    }

    [Fact]
    public async Task Only_the_suites_operators_may_publish_and_bad_input_changes_nothing()
    {
        using var backend = factory.CreateProductBackendClient();
        using var anyone = factory.CreateClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var before = (await anyone.GetFromJsonAsync<BulletinView[]>("/v1/bulletins?limit=100"))!.Length;

        using var byBackend = await backend.PostAsJsonAsync("/v1/bulletins", new { noticeType = "incident-notice", variables = TestHelpers.IncidentVariables() });
        using var byAnyone = await anyone.PostAsJsonAsync("/v1/bulletins", new { noticeType = "incident-notice", variables = TestHelpers.IncidentVariables() });
        using var incomplete = await officer.PostAsJsonAsync("/v1/bulletins", new { noticeType = "incident-notice", variables = new { incidentId = "x" } });
        using var unknownType = await officer.PostAsJsonAsync("/v1/bulletins", new { noticeType = "nope", variables = new { } });
        // A one-time code is filled in by the service when it sends to one person: it has no place in a public announcement.
        using var codeNotice = await officer.PostAsJsonAsync("/v1/bulletins", new { noticeType = "verification-code", variables = new { verificationId = Guid.NewGuid().ToString() } });
        using var badLimit = await anyone.GetAsync("/v1/bulletins?limit=0");
        using var badLanguage = await anyone.GetAsync("/v1/bulletins/feed.atom?lang=fr");
        using var missing = await anyone.GetAsync($"/v1/bulletins/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, byAnyone.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, incomplete.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknownType.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, codeNotice.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLanguage.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await incomplete.ProblemAsync();
        await missing.ProblemAsync();
        Assert.Contains("code", (await codeNotice.ProblemAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(before, (await anyone.GetFromJsonAsync<BulletinView[]>("/v1/bulletins?limit=100"))!.Length);
    }
}
