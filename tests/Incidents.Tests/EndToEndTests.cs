using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;

namespace PrivacySuite.Incidents.Tests;

/// <summary>
/// One incident through the real suite: the incidents service resolves the affected subjects from the real vault,
/// the real notification service sends the notices (contacts from the vault at send time) and MailDev receives them.
/// </summary>
public sealed class EndToEndTests(SuiteFactory factory) : IClassFixture<SuiteFactory>
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    private readonly string _domain = $"e2e{Guid.NewGuid():N}"[..14] + ".example";

    private async Task StoreAsync(string subjectId, string category, object fields)
    {
        using var backend = factory.VaultBackend();
        using var response = await backend.PostAsJsonAsync($"/v1/subjects/{subjectId}/data", new { category, source = "provided", legalBasis = "consent", fields });
        await Drive.ExpectAsync(response, HttpStatusCode.OK);
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.8")]
    [Trait("Clause", "IWK-2.9")]
    public async Task A_declared_and_graded_leak_reaches_each_affected_subject_once_by_mail_in_their_language_and_publishes_a_bulletin_for_the_unreachable()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var zh = $"e2e-{run}-zh";
        var en = $"e2e-{run}-en";
        var unreachable = $"e2e-{run}-nocontact";
        var unaffected = $"e2e-{run}-device";
        await StoreAsync(zh, "contact", new { email = $"{zh}@{_domain}", language = "zh-CN" });
        await StoreAsync(en, "contact", new { email = $"{en}@{_domain}", language = "en" });
        await StoreAsync(unreachable, "identity", new { name = "Zhao Canary" });
        await StoreAsync(unaffected, "device", new { imei = "356938035643809" }); // a category the leak did not touch

        using var lead = factory.CreateOnCall("lead-li");
        var now = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(lead, now.AddMinutes(-10));
        var graded = await Drive.GradeAsync(lead, incident.Id, 1_500_000);
        Assert.Equal(Grade.III, graded.Grade);
        await Drive.ContainAsync(lead, incident.Id);
        await Drive.FileReportAsync(lead, incident.Id, ReportKind.Initial);
        using (var notify = await Drive.NotifyAsync(lead, incident.Id, now.AddHours(-1), now.AddMinutes(1)))
        {
            await Drive.ExpectAsync(notify, HttpStatusCode.Accepted);
        }

        // Only this test's subjects are in this factory's vault; the three in the leak's categories are the affected.
        CampaignView? campaign = null;
        await Eventually.HoldsAsync(async () =>
        {
            campaign = await lead.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return campaign!.Delivered == 2 && campaign.Failed == 1;
        }, Delivery, "two notices delivered and one subject found unreachable, as the incident sees it");
        Assert.Equal(3, campaign!.SubjectsPlanned);
        Assert.Equal("subjects-unreachable", campaign.Bulletin?.Reason);

        var mail = await factory.Mail.ArrivedAsync(_domain, 2);
        Assert.Equal([en, zh], mail.Select(m => m.Recipient.Split('@')[0]).Order());
        var zhMail = Assert.Single(mail, m => m.Recipient.StartsWith(zh, StringComparison.Ordinal));
        var enMail = Assert.Single(mail, m => m.Recipient.StartsWith(en, StringComparison.Ordinal));
        Assert.Equal($"个人信息安全事件告知（{incident.Id}）", zhMail.Subject);
        Assert.Equal($"Personal information security incident ({incident.Id})", enMail.Subject);
        var zhText = Drive.Text("zh-CN");
        var enText = Drive.Text("en");
        foreach (var (heading, part) in new[]
                 {
                     ("一、事件情况：", zhText.WhatHappened), ("二、可能的影响：", zhText.PossibleImpact), ("三、我们已采取的处置措施：", zhText.MeasuresTaken),
                     ("四、您可以自主采取的措施：", zhText.WhatYouCanDo), ("五、补救措施：", zhText.Remedies), ("安全建议：", zhText.SecurityAdvice),
                 })
        {
            Assert.Contains(heading + part, zhMail.Text);
        }

        foreach (var (heading, part) in new[]
                 {
                     ("1. What happened: ", enText.WhatHappened), ("2. Possible impact: ", enText.PossibleImpact), ("3. Measures we have taken: ", enText.MeasuresTaken),
                     ("4. What you can do: ", enText.WhatYouCanDo), ("5. Remedies: ", enText.Remedies), ("Security advice: ", enText.SecurityAdvice),
                 })
        {
            Assert.Contains(heading + part, enMail.Text);
        }

        Assert.DoesNotContain("[en]", zhMail.Text);
        Assert.DoesNotContain("[zh-CN]", enMail.Text);

        // The public bulletin, as anyone reads it from the notification service, in both languages.
        using var anyone = factory.Notifications.CreateClient();
        await Eventually.HoldsAsync(async () => (await anyone.GetAsync($"/v1/bulletins/{campaign.Bulletin!.Id}")).StatusCode == HttpStatusCode.OK,
            Delivery, "the bulletin is published");
        var bulletin = await anyone.GetFromJsonAsync<JsonElement>($"/v1/bulletins/{campaign.Bulletin!.Id}");
        Assert.Contains(zhText.WhatHappened, bulletin.GetProperty("zhCn").GetProperty("body").GetString());
        Assert.Contains(enText.SecurityAdvice, bulletin.GetProperty("en").GetProperty("body").GetString());

        // The notification service's ledger: one delivered notice per reachable subject; none for the other two.
        var batch = DeterministicIds.Batch(campaign.Id, 1);
        Assert.Equal(["e2e-" + run + "-en:delivered:email", "e2e-" + run + "-nocontact:failed:", "e2e-" + run + "-zh:delivered:email"],
            await factory.Notifications.QueryAsync<string>(
                "select subject_id || ':' || status || ':' || coalesce(channel, '') from deliveries where request_id = $1 order by subject_id", batch));
        Assert.Equal(2L, (await factory.Notifications.QueryAsync<long>("select count(*) from send_attempts where request_id = $1 and state = 'sent'", batch)).Single());
        Assert.Empty(await factory.Notifications.QueryAsync<string>("select subject_id from deliveries where subject_id = $1", unaffected));

        // The vault logged each contact look-up for the notices, by the notification service, before decrypting; the
        // unreachable subject's shows it has no contact field.
        Assert.Equal([$"{en}:fields=2", $"{unreachable}:fields=0", $"{zh}:fields=2"], await factory.RealVault.QueryAsync<string>(
            "select subject_id || ':' || detail from access_log where purpose = 'notification' and category = 'contact' and subject_id = any($1) order by subject_id",
            (object)new[] { zh, en, unreachable, unaffected }));
    }
}
