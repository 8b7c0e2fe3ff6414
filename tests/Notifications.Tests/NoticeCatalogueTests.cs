using PrivacySuite.Contracts;
using PrivacySuite.Notifications.IntegrationEvents;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// The notice types of the contract and the template catalogue are one list, and what each producer sends (built by
/// <see cref="NoticeVariables"/>, which the vault, retention and incidents call) renders in zh-CN and in en.
/// Pure checks of the catalogue: no infrastructure involved.
/// </summary>
public sealed class NoticeCatalogueTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Each notice type with the variables its producer sends, built the way the producer builds them.</summary>
    public static TheoryData<string, string> Produced() => new()
    {
        { NoticeTypes.VerificationCode, "vault: identity verification (INF-6.3)" },
        { NoticeTypes.GuardianVerificationCode, "vault: a guardian's confirmation of guardianship (IWK-3.1)" },
        { NoticeTypes.DisclosureNotice, "vault: legal disclosure (INF-5.4)" },
        { NoticeTypes.DeletionCertificate, "retention: erasure or anonymisation completed" },
        { NoticeTypes.CancellationNotice, "retention: an account's cancellation clock started" },
        { NoticeTypes.TerminationNotice, "retention: termination plan, first notice" },
        { NoticeTypes.TerminationReminder, "retention: termination plan, reminder" },
        { NoticeTypes.IncidentNotice, "incidents: notice batch and bulletin" },
        { NoticeTypes.PolicyUpdate, "policy update" },
        { NoticeTypes.MergerTransferNotice, "merger transfer" },
        { NoticeTypes.OnCallPage, "notifications: a round of an on-call page" },
    };

    private static Dictionary<string, string> VariablesOf(string noticeType) => noticeType switch
    {
        NoticeTypes.VerificationCode or NoticeTypes.GuardianVerificationCode => NoticeVariables.VerificationCode(Guid.NewGuid()),
        NoticeTypes.DisclosureNotice => NoticeVariables.DisclosureNotice("Haidian District Public Security Bureau", "criminal-investigation, HD-2026-0113", ["contact", "identity"], Now),
        NoticeTypes.DeletionCertificate => NoticeVariables.DeletionCertificate(Guid.NewGuid(), Now, erased: true, ["Identity", "Contact"], ["Beijing", "Guangzhou"], new Uri("https://privacy.example.cn/deletion-certificates/1")),
        NoticeTypes.CancellationNotice => NoticeVariables.CancellationNotice(Now, Now.AddMonths(1), erase: true, new Uri($"https://privacy.example.cn/receipt.html#{Guid.NewGuid()}")),
        NoticeTypes.TerminationNotice => NoticeVariables.TerminationNotice("Example Shop", Now.AddDays(31), erase: true, new Uri("https://example.cn/export")),
        NoticeTypes.TerminationReminder => NoticeVariables.TerminationReminder("Example Shop", Now.AddDays(7), 7, erase: false, new Uri("https://example.cn/export")),
        // The incident service's variables as notifications turns them into the template's (adding the contact line).
        NoticeTypes.IncidentNotice => IncidentNotices.Variables(NoticeVariables.IncidentNotice(Guid.NewGuid(),
            ["数据库备份被未授权访问", "可能泄露邮箱", "已更换密钥", "修改密码", "免费监测一年", "启用两步验证"],
            ["A database backup was accessed", "E-mail may leak", "Keys replaced", "Change your password", "A year of monitoring", "Turn on two-step sign-in"]),
            "privacy@example.cn"),
        NoticeTypes.PolicyUpdate => NoticeVariables.PolicyUpdate("2026-12", new DateOnly(2026, 12, 1), "Clearer retention periods.", new Uri("https://example.cn/policy")),
        NoticeTypes.MergerTransferNotice => NoticeVariables.MergerTransferNotice("Example Holdings Ltd.", "privacy@holdings.example", new DateOnly(2027, 1, 15), "Running the shop as before."),
        NoticeTypes.OnCallPage => NoticeVariables.OnCallPage(Guid.NewGuid(), "事件 INC-1 的监管报告截止时间已过", "Regulator report of incident INC-1 is overdue", 5),
        _ => throw new ArgumentOutOfRangeException(nameof(noticeType), noticeType, "A notice type without a producer in this test."),
    };

    [Fact]
    public void Every_notice_type_of_the_contract_has_a_template_and_every_template_is_a_contract_type()
    {
        Assert.Equal(NoticeTypes.All.Order(StringComparer.Ordinal), NoticeTemplates.All.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(NoticeTypes.All.Order(StringComparer.Ordinal), Produced().Select(row => (string)row[0]).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Produced))]
    public void What_the_producer_sends_renders_in_Chinese_and_in_English(string noticeType, string producer)
    {
        var template = NoticeTemplates.All[noticeType];
        var variables = VariablesOf(noticeType);

        Assert.True(NoticeTemplates.Validate(template, variables, Now).Count == 0,
            $"{producer}: " + string.Join("; ", NoticeTemplates.Validate(template, variables, Now).Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")));
        // What the notification service fills in itself when it sends (a verification's code, fetched from the vault then).
        var sent = new Dictionary<string, string>(variables);
        foreach (var atSend in template.Variables.Where(v => v.AtSend))
        {
            sent[atSend.Name] = atSend.Name == "code" ? "482913" : "10";
        }

        var zh = NoticeTemplates.Render(template, NoticeTemplates.Chinese, sent, Now);
        var en = NoticeTemplates.Render(template, NoticeTemplates.English, sent, Now);
        Assert.Equal(NoticeTemplates.Chinese, zh.Language);
        Assert.Equal(NoticeTemplates.English, en.Language);
        foreach (var notice in new[] { zh, en })
        {
            Assert.False(string.IsNullOrWhiteSpace(notice.Subject));
            Assert.DoesNotContain("{", notice.Subject + notice.Body, StringComparison.Ordinal);
        }

        // A text written per language lands in its own language only.
        foreach (var (name, value) in variables.Where(v => v.Key.EndsWith("." + NoticeTemplates.Chinese, StringComparison.Ordinal)))
        {
            Assert.Contains(value, zh.Subject + zh.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(value, en.Subject + en.Body, StringComparison.Ordinal);
            Assert.Contains(variables[name[..^NoticeTemplates.Chinese.Length] + NoticeTemplates.English], en.Subject + en.Body, StringComparison.Ordinal);
        }
    }
}
