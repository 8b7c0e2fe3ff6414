using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// Issue 20.1: a person reads the notices they were sent at the privacy centre, with the privacy centre's token for
/// them: the text in both languages, rendered again from what the request stored, but never a one-time code.
/// </summary>
public sealed class SubjectNoticesTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    [Trait("Clause", "INF-7.1")]
    [Trait("Issue", "20")]
    public async Task A_person_reads_their_notices_in_both_languages_and_a_codes_notice_without_its_code()
    {
        var subject = TestHelpers.NewSubject("mine");
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        var verificationId = Guid.NewGuid();
        factory.Vault.AddCode(verificationId, "314159", DateTimeOffset.UtcNow.AddMinutes(10), "en", ("email", factory.Address(subject)));
        using var backend = factory.CreateProductBackendClient();
        using var service = factory.CreateClientFor(SuiteRoles.Service);
        var policy = await (await backend.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        await backend.CompletedAsync(policy.RequestId);
        var code = await (await service.SendNoticeAsync(NoticeTypes.VerificationCode, [subject], NoticeVariables.VerificationCode(verificationId))).AcceptedAsync();
        await service.CompletedAsync(code.RequestId);
        using var centre = factory.CreatePrivacyCentreClient(subject);

        var notices = (await centre.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/notices")).EnumerateArray().ToList();

        Assert.Equal(2, notices.Count);
        var update = notices.Single(n => n.GetProperty("requestId").GetGuid() == policy.RequestId);
        Assert.Equal(("policy-update", "delivered", "email"),
            (update.GetProperty("noticeType").GetString(), update.GetProperty("status").GetString(), update.GetProperty("channel").GetString()));
        Assert.Equal("隐私政策更新（版本 2026-12）", update.GetProperty("text").GetProperty("zh-CN").GetProperty("subject").GetString());
        Assert.Contains("90 days instead of 180", update.GetProperty("text").GetProperty("en").GetProperty("body").GetString());
        var codeNotice = notices.Single(n => n.GetProperty("requestId").GetGuid() == code.RequestId);
        Assert.Equal("Your verification code", codeNotice.GetProperty("text").GetProperty("en").GetProperty("subject").GetString());
        Assert.Equal(JsonValueKind.Null, codeNotice.GetProperty("text").GetProperty("en").GetProperty("body").ValueKind);
        Assert.DoesNotContain("314159", JsonSerializer.Serialize(notices));
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    [Trait("Issue", "20")]
    public async Task A_person_cannot_read_someone_elses_notices()
    {
        using var centre = factory.CreatePrivacyCentreClient(TestHelpers.NewSubject("me"));

        using var others = await centre.GetAsync($"/v1/subjects/{TestHelpers.NewSubject("other")}/notices");

        Assert.Equal(HttpStatusCode.Forbidden, others.StatusCode);
        Assert.Equal("not-your-data", (await others.ProblemAsync()).GetProperty("reason").GetString());
    }
}
