using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>SMS limited to 10 a second (a gateway's contracted rate).</summary>
public sealed class SmsLimitedFactory : NotificationsFactory
{
    public const int SmsPerSecond = 10;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PrivacySuite:Notifications:RatePerSecond:sms"] = SmsPerSecond.ToString();
    }
}

public sealed class RateLimitTests(SmsLimitedFactory factory) : IClassFixture<SmsLimitedFactory>
{
    [Fact]
    public async Task Sends_on_a_channel_keep_to_its_configured_rate()
    {
        var texted = Enumerable.Range(0, 30).Select(_ => TestHelpers.NewSubject("sms")).ToList();
        var mailed = Enumerable.Range(0, 30).Select(_ => TestHelpers.NewSubject("mail")).ToList();
        foreach (var subject in texted)
        {
            factory.Vault.Add(subject, "en", ("sms", $"phone-{subject}"));
        }

        foreach (var subject in mailed)
        {
            factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        }

        using var client = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var request = await (await client.SendNoticeAsync("policy-update", texted.Concat(mailed), TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(60, done.Delivered);
        var times = factory.Sms.Received.Select(c => c.At).Order().ToList();
        Assert.Equal(30, times.Count);
        // At 10 a second (one token every 100 ms) the 30 sends need at least 2.9 s; unlimited they take a few milliseconds
        // over loopback. Arrival times jitter on a busy machine (the first send also opens the connection), so this
        // checks the span with a margin, not each one-second window.
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(2), $"30 SMS went out within {(times[^1] - times[0]).TotalSeconds:0.00} s");
        await factory.Mail.ArrivedAsync(factory.MailDomain, 30);
        var mail = await factory.Mail.MailToAsync(factory.MailDomain);
        Assert.Equal(30, mail.Count);
    }
}
