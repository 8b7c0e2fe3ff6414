using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>The incident service's events, as it publishes them, reach people and the public bulletin.</summary>
public sealed class IncidentBridgeTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.8")]
    public async Task A_notice_batch_reaches_each_subject_once_in_their_own_language_even_when_sent_twice()
    {
        var zh = TestHelpers.NewSubject("izh");
        var en = TestHelpers.NewSubject("ien");
        factory.Vault.Add(zh, "zh-CN", ("email", factory.Address(zh)));
        factory.Vault.Add(en, "en", ("email", factory.Address(en)));
        var batch = new NoticeBatchRequested(Guid.NewGuid(), 1, Guid.NewGuid(), Guid.NewGuid(), NoticeTypes.IncidentNotice, [zh, en],
            IncidentVariables(), DateTimeOffset.UtcNow);
        var bus = await factory.TestBusAsync();

        // Two publishes, two message ids, one batch id: a re-sent batch.
        await bus.Publish(batch);
        await bus.Publish(batch);

        await factory.Mail.ArrivedAsync(factory.Address(zh));
        await factory.Mail.ArrivedAsync(factory.Address(en));
        // The incident service's campaign is the suite's: on-call watches it, a product backend does not see it.
        using var client = factory.CreateClientFor(SuiteRoles.OnCall);
        var done = await client.CompletedAsync(batch.BatchId);
        Assert.Equal(2, done.Delivered);
        await Task.Delay(1000);
        var mail = await factory.Mail.MailToAsync(factory.MailDomain);
        var toZh = Assert.Single(mail, m => m.Recipient == factory.Address(zh));
        var toEn = Assert.Single(mail, m => m.Recipient == factory.Address(en));
        Assert.Contains("数据库备份被未授权访问", toZh.Text);
        Assert.Contains("修改密码", toZh.Text);
        Assert.DoesNotContain("backup", toZh.Text);
        Assert.Contains("A database backup was accessed", toEn.Text);
        Assert.Contains("Change your password", toEn.Text);
        Assert.Contains("privacy@privacysuite.local", toEn.Text);
    }

    [Fact]
    [Trait("Clause", "IWK-2.9")]
    public async Task An_incident_bulletin_is_published_once_in_both_languages()
    {
        var bulletin = new BulletinRequested(Guid.NewGuid(), NoticeTypes.IncidentNotice, IncidentVariables(), DateTimeOffset.UtcNow,
            Guid.NewGuid(), "subjects could not be reached");
        var bus = await factory.TestBusAsync();

        await bus.Publish(bulletin);
        await bus.Publish(bulletin);

        using var anonymous = factory.CreateClient();
        JsonElement found = default;
        await Eventually.HoldsAsync(async () =>
        {
            var list = await anonymous.GetFromJsonAsync<JsonElement>("/v1/bulletins");
            var matches = list.EnumerateArray().Where(b => b.GetProperty("bulletinId").GetGuid() == bulletin.BulletinId).ToList();
            found = matches.FirstOrDefault();
            return matches.Count == 1;
        }, TimeSpan.FromSeconds(30), "the bulletin is listed");
        await Task.Delay(1000);
        var again = await anonymous.GetFromJsonAsync<JsonElement>("/v1/bulletins");
        Assert.Single(again.EnumerateArray(), b => b.GetProperty("bulletinId").GetGuid() == bulletin.BulletinId);
        Assert.Contains("A database backup was accessed", found.GetProperty("en").GetProperty("body").GetString());
        Assert.Contains("数据库备份被未授权访问", found.GetProperty("zhCn").GetProperty("body").GetString());
    }

    /// <summary>What the incident service sends: each part in both languages, snake_case names.</summary>
    private static Dictionary<string, string> IncidentVariables()
    {
        var variables = new Dictionary<string, string> { ["incident_id"] = "INC-2026-0042" };
        (string Part, string Zh, string En)[] parts =
        [
            ("what_happened", "数据库备份被未授权访问", "A database backup was accessed without authorisation"),
            ("possible_impact", "您的联系方式可能已泄露", "Your contact details may have been exposed"),
            ("measures_taken", "我们已封堵漏洞并报告监管部门", "We closed the gap and reported to the regulator"),
            ("what_you_can_do", "警惕可疑来电", "Be wary of unexpected calls"),
            ("remedies", "免费身份保护服务一年", "One year of free identity protection"),
            ("security_advice", "修改密码并开启双重验证", "Change your password and turn on two-factor sign-in"),
        ];
        foreach (var (part, zh, en) in parts)
        {
            variables[$"{part}.zh-CN"] = zh;
            variables[$"{part}.en"] = en;
        }

        return variables;
    }
}
