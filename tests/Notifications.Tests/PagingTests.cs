using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// A rota of two: <c>oncall-a</c> (zh-CN; push, SMS and e-mail) has the duty, <c>oncall-b</c> (en; e-mail only) is next.
/// Pages repeat every 2 s, and from the third round the next person is paged too.
/// </summary>
public sealed class OnCallFactory : NotificationsFactory
{
    public const string Device = "device-oncall-a";
    public const string Phone = "+8613800000001";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        const string section = "PrivacySuite:Notifications:OnCall";
        settings[$"{section}:Responders:oncall-a:Language"] = "zh-CN";
        settings[$"{section}:Responders:oncall-a:Push"] = Device;
        settings[$"{section}:Responders:oncall-a:Sms"] = Phone;
        settings[$"{section}:Responders:oncall-a:Email"] = $"oncall-a@{MailDomain}";
        settings[$"{section}:Responders:oncall-b:Language"] = "en";
        settings[$"{section}:Responders:oncall-b:Email"] = $"oncall-b@{MailDomain}";
        settings[$"{section}:Rota:0"] = "oncall-a";
        settings[$"{section}:Rota:1"] = "oncall-b";
        // oncall-a took the duty an hour ago, for a week.
        settings[$"{section}:RotaStart"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("O");
        settings[$"{section}:HandoverEvery"] = "7.00:00:00";
        settings[$"{section}:RepeatEvery"] = "00:00:02";
        settings[$"{section}:EscalateAfterRounds"] = "2";
        settings[$"{section}:CheckEvery"] = "00:00:00.200";
    }
}

/// <summary>Issue 21.5: a page reaches the person on call, by push or SMS with e-mail as the fallback, until someone acknowledges it.</summary>
public sealed class PagingTests(OnCallFactory factory) : IClassFixture<OnCallFactory>
{
    private static OnCallPageRequested Page(string kind) => new(kind, Guid.NewGuid().ToString(),
        "事件 INC-1 的监管报告已过半时限，截止 2026-12-07 12:00 UTC", "Regulator report of incident INC-1: half the time gone, due 2026-12-07 12:00 UTC",
        DateTimeOffset.UtcNow);

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_page_repeats_until_acknowledged_and_reaches_the_next_on_the_rota_when_nobody_answers()
    {
        var page = Page(OnCallPageKinds.RegulatorReportHalfway);
        var bus = await factory.TestBusAsync();

        // Raised twice (two message ids): one page.
        await bus.Publish(page);
        await bus.Publish(page);

        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall);
        var view = await RoundsAsync(onCall, page.Reference, 3);
        Assert.Equal(OnCallPageKinds.RegulatorReportHalfway, view.Kind);
        Assert.Equal(page.WhatEn, view.What);

        // oncall-a by push, in Chinese, each round once; oncall-b (e-mail only) from the third round.
        var pushes = factory.Push.To(OnCallFactory.Device).Where(p => p.Body.Contains(view.PageId.ToString())).ToList();
        Assert.True(pushes.Count >= 3, $"{pushes.Count} pushes");
        Assert.Equal(pushes.Count, pushes.Select(p => p.IdempotencyKey).Distinct().Count());
        Assert.All(pushes, p => Assert.Equal("zh-CN", p.Language));
        Assert.Contains(page.WhatZhCn, pushes[0].Body);
        Assert.DoesNotContain(view.Deliveries, d => d.Round < 3 && d.Responder == "oncall-b");
        var toB = await factory.Mail.ArrivedAsync($"oncall-b@{factory.MailDomain}");
        Assert.Contains(toB, m => m.Text is { } text && text.Contains(page.WhatEn) && text.Contains(view.PageId.ToString()));
        Assert.Contains(view.Deliveries, d => d.Round == 3 && d.Responder == "oncall-b" && d.Channel == "email");

        using var acknowledged = await onCall.PostAsync($"/v1/pages/{view.PageId}/acknowledgement", null);
        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        var done = (await acknowledged.Content.ReadFromJsonAsync<PageView>())!;
        Assert.NotNull(done.AcknowledgedAt);
        Assert.Null(done.NextRoundAt);
        Assert.False(string.IsNullOrEmpty(done.AcknowledgedBy));

        // No round after the acknowledgement: two repeat periods later the count is where it was.
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        var after = (await onCall.GetFromJsonAsync<PageView>($"/v1/pages/{view.PageId}"))!;
        Assert.Equal(done.Rounds, after.Rounds);
        Assert.Equal(done.AcknowledgedAt, after.AcknowledgedAt);

        // Acknowledging again changes nothing.
        using var again = await onCall.PostAsync($"/v1/pages/{view.PageId}/acknowledgement", null);
        Assert.Equal(done.AcknowledgedAt, (await again.Content.ReadFromJsonAsync<PageView>())!.AcknowledgedAt);
        var open = (await onCall.GetFromJsonAsync<List<PageView>>("/v1/pages?state=open"))!;
        Assert.DoesNotContain(open, p => p.PageId == view.PageId);
    }

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task When_push_and_SMS_fail_the_page_goes_by_email()
    {
        var page = Page(OnCallPageKinds.RegulatorReportOverdue);
        factory.Push.Script(HttpStatusCode.BadRequest);
        factory.Sms.Script(HttpStatusCode.BadRequest);
        var bus = await factory.TestBusAsync();

        await bus.Publish(page);

        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall);
        var view = await RoundsAsync(onCall, page.Reference, 1);
        var mail = await factory.Mail.ArrivedAsync($"oncall-a@{factory.MailDomain}");
        Assert.Contains(mail, m => m.Text is { } text && text.Contains(page.WhatZhCn) && text.Contains(view.PageId.ToString()));
        Assert.Contains(view.Deliveries, d => d.Round == 1 && d.Responder == "oncall-a" && d.Channel == "email");
        using var acknowledged = await onCall.PostAsync($"/v1/pages/{view.PageId}/acknowledgement", null);
        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
    }

    [Fact]
    public async Task A_page_is_the_suites_own_and_bad_input_is_refused()
    {
        using var backend = factory.CreateClientFor(SuiteRoles.ProductBackend);
        using var sent = await backend.SendNoticeAsync(NoticeTypes.OnCallPage, ["someone"],
            NoticeVariables.OnCallPage(Guid.NewGuid(), "测试", "test", 5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sent.StatusCode);
        Assert.Contains("OnCallPageRequested", (await sent.ProblemAsync()).GetRawText());

        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall);
        using var unknown = await onCall.PostAsync($"/v1/pages/{Guid.NewGuid()}/acknowledgement", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await unknown.ProblemAsync();
        using var badState = await onCall.GetAsync("/v1/pages?state=all");
        Assert.Equal(HttpStatusCode.BadRequest, badState.StatusCode);
        await badState.ProblemAsync();

        // Watching pages is the operators' too; answering them is the on-call team's alone.
        using var operatorClient = factory.CreateClientFor(SuiteRoles.Operator);
        using var byOperator = await operatorClient.PostAsync($"/v1/pages/{Guid.NewGuid()}/acknowledgement", null);
        Assert.Equal(HttpStatusCode.Forbidden, byOperator.StatusCode);
    }

    /// <summary>Waits until the page raised for <paramref name="reference"/> has had <paramref name="rounds"/> rounds, each delivered.</summary>
    private static async Task<PageView> RoundsAsync(HttpClient client, string reference, int rounds)
    {
        PageView? view = null;
        await Eventually.HoldsAsync(async () =>
        {
            var pages = await client.GetFromJsonAsync<List<PageView>>("/v1/pages?state=open");
            view = pages!.SingleOrDefault(p => p.Reference == reference);
            return view is not null && view.Deliveries.Count(d => d.Round <= rounds && d.Status == "delivered") >= rounds + Math.Max(0, rounds - 2);
        }, TestHelpers.Patience, $"page {reference} has {rounds} delivered rounds");
        return view!;
    }
}
