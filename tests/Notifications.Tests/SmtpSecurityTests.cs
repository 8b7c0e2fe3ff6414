using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using MimeKit;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.Notifications.Channels;

namespace PrivacySuite.Notifications.Tests;

/// <summary>The service sending to a server whose password it does not have.</summary>
public sealed class WrongPasswordFactory : NotificationsFactory
{
    public string WrongPassword { get; } = "wrong-" + Guid.NewGuid().ToString("N");

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ConnectionStrings:smtp"] = $"smtp://{MailDevServer.User}:{WrongPassword}@127.0.0.1:{Mail.Server.Options.SmtpPort}";
    }
}

/// <summary>
/// The service with the right password for a server that offers no STARTTLS and would take AUTH in plain text (maildev
/// as it ships): mail it accepted would show the password had crossed in the clear.
/// </summary>
public sealed class NoStartTlsFactory : NotificationsFactory
{
    public MailDev PlainServer { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        PlainServer = await MailDev.StartAsync("maildev-no-starttls", options => options with { StartTls = false });
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ConnectionStrings:smtp"] = PlainServer.Server.ConnectionString;
    }
}

public sealed class SmtpSecurityTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    public async Task The_test_server_refuses_AUTH_before_STARTTLS_and_mail_before_AUTH()
    {
        // What the service is tested against is a server that requires both, as a real relay does.
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", factory.Mail.Server.Options.SmtpPort, SecureSocketOptions.None);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.StartTLS));
        var mail = new MimeMessage([MailboxAddress.Parse("probe@privacysuite.local")], [MailboxAddress.Parse(factory.Address("probe"))], "probe", new TextPart("plain") { Text = "probe" });

        // 530 authentication required, which MailKit raises as ServiceNotAuthenticatedException.
        var noAuth = await Assert.ThrowsAsync<MailKit.ServiceNotAuthenticatedException>(() => client.SendAsync(mail));
        var plainAuth = await Assert.ThrowsAnyAsync<Exception>(() => client.AuthenticateAsync(MailDevServer.User, "anything"));

        Assert.Contains("authentication", noAuth.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("STARTTLS", plainAuth.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_sent_over_STARTTLS_with_the_right_password_arrives()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(1, done.Delivered);
        var mail = Assert.Single(await factory.Mail.ArrivedAsync(factory.Address(subject)));
        Assert.Equal("Privacy policy update (version 2026-12)", mail.Subject);
    }

    [Fact]
    public void A_connection_string_with_credentials_requires_STARTTLS_and_never_prints_the_password()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:smtp"] = "smtp://mailer:p%40ss%3Aword@relay.example:587",
        }).Build();

        var endpoint = SmtpEndpoint.FromConfiguration(configuration, null)!;

        Assert.Equal(SecureSocketOptions.StartTls, endpoint.Security);
        Assert.Equal(("mailer", "p@ss:word"), (endpoint.Credentials!.UserName, endpoint.Credentials.Password));
        Assert.Equal("smtp://relay.example:587", endpoint.ToString());
        var bad = Assert.Throws<InvalidOperationException>(() => SmtpEndpoint.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:smtp"] = "smtp://mailer@relay.example:587 secret" }).Build(), null));
        Assert.DoesNotContain("secret", bad.Message, StringComparison.Ordinal);
    }
}

public sealed class SmtpWrongPasswordTests(WrongPasswordFactory factory) : IClassFixture<WrongPasswordFactory>
{
    [Fact]
    public async Task Refused_credentials_fail_the_email_channel_after_a_few_retries_and_fall_back_without_logging_secrets()
    {
        var subject = TestHelpers.NewSubject();
        var phone = $"+86-135{Random.Shared.Next(10_000_000, 99_999_999)}";
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)), ("sms", phone));
        var lonely = TestHelpers.NewSubject();
        factory.Vault.Add(lonely, "en", ("email", factory.Address(lonely)));
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject, lonely], TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        // Not a crash, not retried forever: e-mail is given up (a few retries, never taken), the next channel is used.
        Assert.Equal((1, 1), (done.Delivered, done.Failed));
        Assert.Single(factory.Sms.To(phone));
        Assert.Equal(["no-channel-succeeded: email=unavailable"], await factory.QueryAsync(
            $"select reason from deliveries where request_id = '{request.RequestId}' and status = 'failed'"));
        Assert.Empty(await factory.Mail.MailToAsync(factory.MailDomain));
        using var health = await factory.CreateClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        var logged = factory.LoggedText;
        Assert.Contains("AuthenticationException", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(factory.WrongPassword, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(factory.MailDomain, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(phone, logged, StringComparison.Ordinal);
    }
}

public sealed class SmtpWithoutStartTlsTests(NoStartTlsFactory factory) : IClassFixture<NoStartTlsFactory>
{
    [Fact]
    public async Task A_server_without_STARTTLS_is_refused_and_never_gets_the_password()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(1, done.Failed);
        Assert.Equal(["no-channel-succeeded: email=unavailable"], await factory.QueryAsync(
            $"select reason from deliveries where request_id = '{request.RequestId}'"));
        // This server takes AUTH in plain text: had the service logged in there, the mail would be here.
        Assert.Empty(await factory.PlainServer.MailToAsync(factory.MailDomain));
    }
}
