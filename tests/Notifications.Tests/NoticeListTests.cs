using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>GET /v1/notices: the list the operators' dashboard shows as notice campaigns.</summary>
public sealed class NoticeListTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    public async Task Requests_are_listed_newest_first_with_their_progress_and_campaigns_can_be_listed_alone()
    {
        using var client = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var campaign = await (await client.SendNoticeAsync("policy-update",
            [TestHelpers.NewSubject(), TestHelpers.NewSubject(), TestHelpers.NewSubject()], TestHelpers.PolicyVariables())).AcceptedAsync();
        var single = await (await client.SendNoticeAsync("policy-update", [TestHelpers.NewSubject()], TestHelpers.PolicyVariables())).AcceptedAsync();

        var all = await client.GetFromJsonAsync<List<NoticeRequestView>>("/v1/notices");
        var campaigns = await client.GetFromJsonAsync<List<NoticeRequestView>>("/v1/notices?campaignsOnly=true&limit=200");

        Assert.Equal([single.RequestId, campaign.RequestId], all!.Take(2).Select(r => r.RequestId));
        var listed = all!.Single(r => r.RequestId == campaign.RequestId);
        Assert.Equal(("policy-update", 3), (listed.NoticeType, listed.Total));
        Assert.Equal(3, listed.Pending + listed.Delivered + listed.Failed);
        Assert.Contains(campaigns!, r => r.RequestId == campaign.RequestId);
        Assert.DoesNotContain(campaigns!, r => r.RequestId == single.RequestId);
        Assert.All(campaigns!, r => Assert.True(r.Total > 1));
    }

    [Fact]
    public async Task A_bad_limit_is_a_problem_and_subjects_may_not_list_requests()
    {
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        using var subject = factory.CreateClientFor(SuiteRoles.Subject);

        using var zero = await officer.GetAsync("/v1/notices?limit=0");
        using var huge = await officer.GetAsync("/v1/notices?limit=100000");
        using var forbidden = await subject.GetAsync("/v1/notices");

        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Equal("application/problem+json", zero.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }
}
