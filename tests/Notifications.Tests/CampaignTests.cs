using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Contracts;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>E-mail limited to 50 a second and small batches, so a campaign of a few hundred lasts long enough to pause or restart.</summary>
public sealed class CampaignFactory : NotificationsFactory
{
    public const int EmailsPerSecond = 50;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PrivacySuite:Notifications:RatePerSecond:email"] = EmailsPerSecond.ToString();
        settings["PrivacySuite:Notifications:BatchSize"] = "20";
        settings["PrivacySuite:Notifications:Concurrency"] = "4";
    }
}

public sealed class CampaignTests(CampaignFactory factory) : IClassFixture<CampaignFactory>
{
    [Fact]
    [Trait("Clause", "INF-7.1")]
    public async Task A_policy_update_reaches_every_subject_once_and_a_restart_mid_campaign_neither_duplicates_nor_skips()
    {
        // A host of this test's own, since it is stopped half-way.
        await using var first = new CampaignFactory();
        await first.InitializeAsync();
        var subjects = Subjects(first, 300);
        using var client = first.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var request = await (await client.SendNoticeAsync("policy-update", subjects, TestHelpers.PolicyVariables())).AcceptedAsync();
        await Eventually.HoldsAsync(async () => (await client.ProgressAsync(request.RequestId)).Delivered >= 60, TestHelpers.Patience, "the campaign is under way");

        // Stop the host mid-campaign and start another on the same database and broker.
        await first.StopHostAsync();
        var deliveredBeforeRestart = int.Parse((await first.QueryAsync(
            $"select count(*) from deliveries where request_id = '{request.RequestId}' and status = 'delivered'"))[0]);
        await using var restarted = new RestartedNotificationsFactory(first);
        await restarted.InitializeAsync();
        using var restartedClient = restarted.CreateClient();
        restartedClient.DefaultRequestHeaders.Authorization = new("Bearer", first.Credentials.IssueToken("officer", [SuiteRoles.PrivacyOfficer]));
        var done = await restartedClient.CompletedAsync(request.RequestId);

        Assert.InRange(deliveredBeforeRestart, 1, subjects.Count - 1);
        Assert.Equal(subjects.Count, done.Delivered);
        await first.Mail.ArrivedAsync(first.MailDomain, subjects.Count);
        await Task.Delay(500); // a duplicate, if there were one, would show by now
        var mail = await first.Mail.MailToAsync(first.MailDomain);
        Assert.Equal(subjects.Select(first.Address).Order(), mail.Select(m => m.Recipient).Order());
        Assert.All(mail, m => Assert.Equal("Privacy policy update (version 2026-12)", m.Subject));
        Assert.All(mail, m => Assert.Contains("Without your agreement we cannot continue", m.Text));
        await Eventually.HoldsAsync(async () => (await first.QueryAsync(
            $"select count(distinct d->>'subjectId') || ':' || count(*) from outbox_messages, jsonb_array_elements(payload->'deliveries') d where message_type like 'PrivacySuite.Contracts.NoticesDelivered,%' and payload->>'requestId' = '{request.RequestId}' and sent_at is not null"))[0] == $"{subjects.Count}:{subjects.Count}",
            TestHelpers.Patience, "every subject is published as delivered, once");
    }

    [Fact]
    public async Task A_paused_campaign_stops_sending_and_resumes_where_it_stopped()
    {
        var subjects = Subjects(150);
        using var client = factory.CreateClientFor(SuiteRoles.OnCall);
        var request = await (await client.SendNoticeAsync("incident-notice", subjects, TestHelpers.IncidentVariables())).AcceptedAsync();
        await Eventually.HoldsAsync(async () => (await client.ProgressAsync(request.RequestId)).Delivered >= 20, TestHelpers.Patience, "the campaign is under way");

        using var pause = await client.PostAsync($"/v1/notices/{request.RequestId}/pause", null);
        var paused = (await pause.Content.ReadFromJsonAsync<NoticeRequestView>())!;
        NoticeRequestView settled = paused;
        await Eventually.HoldsAsync(async () =>
        {
            // Batches claimed before the pause finish; then nothing moves.
            var before = await client.ProgressAsync(request.RequestId);
            await Task.Delay(700);
            settled = await client.ProgressAsync(request.RequestId);
            return settled.Delivered == before.Delivered;
        }, TestHelpers.Patience, "claimed batches finish");
        await Task.Delay(1500);
        var later = await client.ProgressAsync(request.RequestId);
        using var resume = await client.PostAsync($"/v1/notices/{request.RequestId}/resume", null);
        var done = await client.CompletedAsync(request.RequestId);

        Assert.True(paused.Paused);
        Assert.True(settled.Pending > 0);
        Assert.Equal(settled.Delivered, later.Delivered);
        Assert.False((await resume.Content.ReadFromJsonAsync<NoticeRequestView>())!.Paused);
        Assert.Equal(subjects.Count, done.Delivered);
        foreach (var subject in subjects)
        {
            await factory.Mail.ArrivedAsync(factory.Address(subject));
        }

        var recipients = (await factory.Mail.MailToAsync(factory.MailDomain)).Where(m => m.Subject.Contains("INC-2026-0042", StringComparison.Ordinal))
            .Select(m => m.Recipient).Where(r => subjects.Select(factory.Address).Contains(r)).ToList();
        Assert.Equal(subjects.Select(factory.Address).Order(), recipients.Order());
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    public async Task A_campaign_requested_as_an_event_is_sent_to_every_subject()
    {
        var subjects = Subjects(40);
        var requestId = Guid.NewGuid();
        var bus = await factory.TestBusAsync();

        await bus.Publish(new NoticeCampaignRequested(requestId, "incident-notice", subjects, TestHelpers.IncidentVariables(), DateTimeOffset.UtcNow));

        using var client = factory.CreateClientFor(SuiteRoles.OnCall);
        await Eventually.HoldsAsync(async () => (await client.GetAsync($"/v1/notices/{requestId}")).IsSuccessStatusCode, TestHelpers.Patience, "campaign recorded");
        var done = await client.CompletedAsync(requestId);
        Assert.Equal(40, done.Total);
        Assert.Equal(40, done.Delivered);
    }

    [Fact]
    public async Task Contacts_are_fetched_in_batches_and_a_vault_that_is_briefly_down_delays_subjects_without_losing_any()
    {
        var subjects = Subjects(80);
        var callsBefore = factory.Vault.Calls;
        var askedBefore = factory.Vault.SubjectsAsked;
        factory.Vault.FailNext = 2;
        using var client = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);

        var request = await (await client.SendNoticeAsync("policy-update", subjects, TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(subjects.Count, done.Delivered);
        await factory.Mail.ArrivedAsync(factory.MailDomain, subjects.Count);
        var mail = (await factory.Mail.MailToAsync(factory.MailDomain)).Select(m => m.Recipient).Where(subjects.Select(factory.Address).Contains).ToList();
        Assert.Equal(subjects.Select(factory.Address).Order(), mail.Order());
        // Each subject was asked for once it was answered (the refused calls answered nobody), in far fewer calls than subjects.
        Assert.Equal(subjects.Count, factory.Vault.SubjectsAsked - askedBefore);
        Assert.InRange(factory.Vault.Calls - callsBefore, 3, subjects.Count / 2);
    }

    [Fact]
    public async Task Pausing_an_unknown_request_is_not_found()
    {
        using var client = factory.CreateClientFor(SuiteRoles.Operator);

        using var response = await client.PostAsync($"/v1/notices/{Guid.NewGuid()}/pause", null);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        await response.ProblemAsync();
    }

    private List<string> Subjects(int count) => Subjects(factory, count);

    private static List<string> Subjects(NotificationsFactory host, int count)
    {
        var subjects = Enumerable.Range(0, count).Select(_ => TestHelpers.NewSubject("c")).ToList();
        foreach (var subject in subjects)
        {
            host.Vault.Add(subject, "en", ("email", host.Address(subject)));
        }

        return subjects;
    }
}
