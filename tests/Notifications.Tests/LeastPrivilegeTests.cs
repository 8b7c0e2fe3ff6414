using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Contracts;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.Notifications.Infrastructure;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>Issue 18, item 2: what a product backend's API key could do here and must not.</summary>
public sealed class LeastPrivilegeTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task A_product_backend_cannot_send_the_suites_verification_code_with_a_code_of_its_choosing()
    {
        var subject = TestHelpers.NewSubject("v");
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        using var backend = factory.CreateProductBackendClient();

        using var response = await backend.SendNoticeAsync(NoticeTypes.VerificationCode, [subject],
            new Dictionary<string, string>(NoticeVariables.VerificationCode(Guid.NewGuid())) { ["code"] = "123456" });
        using var certificate = await backend.SendNoticeAsync(NoticeTypes.DeletionCertificate, [subject], new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await response.ProblemAsync();
        Assert.Equal(HttpStatusCode.Forbidden, certificate.StatusCode);
        using var scope = factory.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<NotificationsDbContext>().NoticeRequests
            .CountAsync(r => r.NoticeType == NoticeTypes.VerificationCode || r.NoticeType == NoticeTypes.DeletionCertificate));
    }

    [Fact]
    public async Task A_product_backend_cannot_list_every_notice_request()
    {
        using var backend = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);

        using var byBackend = await backend.GetAsync("/v1/notices");
        using var byOfficer = await officer.GetAsync("/v1/notices");

        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byOfficer.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    public async Task A_product_backend_cannot_see_pause_or_resume_an_incidents_campaign_but_steers_its_own()
    {
        var subjects = Enumerable.Range(0, 3).Select(_ => TestHelpers.NewSubject("p")).ToList();
        foreach (var subject in subjects)
        {
            factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        }

        var incidentCampaign = Guid.NewGuid();
        await (await factory.TestBusAsync()).Publish(
            new NoticeCampaignRequested(incidentCampaign, NoticeTypes.IncidentNotice, subjects, TestHelpers.IncidentVariables(), DateTimeOffset.UtcNow));
        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall);
        await Eventually.HoldsAsync(async () => (await onCall.GetAsync($"/v1/notices/{incidentCampaign}")).IsSuccessStatusCode, TestHelpers.Patience, "campaign recorded");
        using var backend = factory.CreateProductBackendClient();
        var own = await (await backend.SendNoticeAsync(NoticeTypes.PolicyUpdate, subjects, TestHelpers.PolicyVariables())).AcceptedAsync();

        using var seen = await backend.GetAsync($"/v1/notices/{incidentCampaign}");
        using var paused = await backend.PostAsync($"/v1/notices/{incidentCampaign}/pause", null);
        using var resumed = await backend.PostAsync($"/v1/notices/{incidentCampaign}/resume", null);
        using var pausedOwn = await backend.PostAsync($"/v1/notices/{own.RequestId}/pause", null);
        using var resumedOwn = await backend.PostAsync($"/v1/notices/{own.RequestId}/resume", null);
        using var pausedByOnCall = await onCall.PostAsync($"/v1/notices/{incidentCampaign}/pause", null);
        using var resumedByOnCall = await onCall.PostAsync($"/v1/notices/{incidentCampaign}/resume", null);

        Assert.Equal(HttpStatusCode.NotFound, seen.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, paused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, resumed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pausedOwn.StatusCode);
        Assert.True((await pausedOwn.Content.ReadFromJsonAsync<NoticeRequestView>())!.Paused);
        Assert.Equal(HttpStatusCode.OK, resumedOwn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pausedByOnCall.StatusCode);
        Assert.True((await pausedByOnCall.Content.ReadFromJsonAsync<NoticeRequestView>())!.Paused);
        Assert.Equal(HttpStatusCode.OK, resumedByOnCall.StatusCode);
    }
}
