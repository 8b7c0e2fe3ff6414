using System.Net;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// Issue 18.4: a one-time code travels to the notification service by reference only. It is fetched from the vault when
/// the notice is sent, goes to the channels the vault answers with it (the subject's verified contacts), is stored in no
/// table of this service, and is never sent once it has expired, on the first attempt or on a retry.
/// </summary>
public sealed class VerificationCodeTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "18")]
    public async Task A_code_is_fetched_when_it_is_sent_reaches_the_contact_the_vault_names_and_is_stored_nowhere()
    {
        var subject = TestHelpers.NewSubject("code");
        var verificationId = Guid.NewGuid();
        var code = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The contact the contacts endpoint has (what a product backend wrote last) is not where a code goes.
        factory.Vault.Add(subject, "en", ("email", $"overwritten-{subject}@{factory.MailDomain}"));
        factory.Vault.AddCode(verificationId, code, DateTimeOffset.UtcNow.AddMinutes(10), "en", ("email", factory.Address(subject)));
        var codeCallsBefore = factory.Vault.CodeCalls;

        // As the vault's outbox relay publishes it: a reference, no code.
        await (await factory.TestBusAsync()).Publish(
            new NoticeRequested(verificationId, NoticeTypes.VerificationCode, subject, NoticeVariables.VerificationCode(verificationId), DateTimeOffset.UtcNow));
        using var service = factory.CreateClientFor(SuiteRoles.Service);
        await Eventually.HoldsAsync(async () => (await service.GetAsync($"/v1/notices/{verificationId}")).IsSuccessStatusCode, TestHelpers.Patience, "the request was queued");
        var done = await service.CompletedAsync(verificationId);

        Assert.Equal(1, done.Delivered);
        var mail = Assert.Single(await factory.Mail.ArrivedAsync(factory.Address(subject)));
        Assert.Contains(code, mail.Text); // the control: the code did go out, so the scan below would find it if it were kept
        Assert.Empty(await factory.Mail.MailToAsync($"overwritten-{subject}@{factory.MailDomain}"));
        Assert.Equal(1, factory.Vault.CodeCalls - codeCallsBefore);
        await AssertStoredNowhereAsync(code);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "18")]
    public async Task An_expired_code_is_never_sent_not_on_the_first_attempt_nor_on_a_retry()
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service);
        var phone = $"+86-137{Random.Shared.Next(10_000_000, 99_999_999)}";
        var expired = Guid.NewGuid();
        var expiring = Guid.NewGuid();
        var (subject, other) = (TestHelpers.NewSubject("exp"), TestHelpers.NewSubject("exp"));

        // Answered already expired (a vault whose clock is behind ours).
        factory.Vault.AddCode(expired, "271828", DateTimeOffset.UtcNow.AddSeconds(-1), "en", ("sms", phone), ("email", factory.Address(subject)));
        var first = await (await service.SendNoticeAsync(NoticeTypes.VerificationCode, [subject], NoticeVariables.VerificationCode(expired))).AcceptedAsync();

        // The vault is down at the first attempt; by the retry the code has expired.
        factory.Vault.AddCode(expiring, "314159", DateTimeOffset.UtcNow.AddMinutes(10), "en", ("sms", phone), ("email", factory.Address(other)));
        factory.Vault.FailOnceThenExpire(expiring);
        var callsBefore = factory.Vault.CodeCalls;
        var retried = await (await service.SendNoticeAsync(NoticeTypes.VerificationCode, [other], NoticeVariables.VerificationCode(expiring))).AcceptedAsync();

        Assert.Equal(1, (await service.CompletedAsync(first.RequestId)).Failed);
        Assert.Equal(1, (await service.CompletedAsync(retried.RequestId)).Failed);
        Assert.Equal(["code-expired"], await factory.QueryAsync($"select reason from deliveries where request_id = '{first.RequestId}'"));
        Assert.Equal(["code-expired"], await factory.QueryAsync($"select reason from deliveries where request_id = '{retried.RequestId}'"));
        Assert.True(factory.Vault.CodeCalls - callsBefore >= 2, "the code was fetched again after the vault failed");
        Assert.Empty(factory.Sms.To(phone));
        Assert.Empty(await factory.Mail.MailToAsync(factory.Address(subject)));
        Assert.Empty(await factory.Mail.MailToAsync(factory.Address(other)));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task A_code_the_vault_refuses_to_hand_out_is_not_sent_and_the_delivery_says_why()
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service);
        var subject = TestHelpers.NewSubject("gone");
        var verificationId = Guid.NewGuid();
        factory.Vault.AddCode(verificationId, "161803", DateTimeOffset.UtcNow.AddMinutes(10), "en", ("email", factory.Address(subject)));
        factory.Vault.Take(verificationId); // somebody fetched it first: the vault hands a code out once

        var request = await (await service.SendNoticeAsync(NoticeTypes.VerificationCode, [subject], NoticeVariables.VerificationCode(verificationId))).AcceptedAsync();

        Assert.Equal(1, (await service.CompletedAsync(request.RequestId)).Failed);
        Assert.Equal(["code-refused: code-released"], await factory.QueryAsync($"select reason from deliveries where request_id = '{request.RequestId}'"));
        Assert.Empty(await factory.Mail.MailToAsync(factory.Address(subject)));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "18")]
    public async Task A_request_that_carries_a_code_is_refused_and_the_code_is_never_stored()
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service);
        var subject = TestHelpers.NewSubject("carry");
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));

        using var refused = await service.SendNoticeAsync(NoticeTypes.VerificationCode, [subject],
            new Dictionary<string, string>(NoticeVariables.VerificationCode(Guid.NewGuid())) { ["code"] = "551234" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.True((await refused.ProblemAsync()).GetProperty("errors").TryGetProperty("code", out _));

        // As a vault from before issue 18.4 published it, with the code among the variables.
        var old = Guid.NewGuid();
        await (await factory.TestBusAsync()).Publish(new NoticeRequested(old, NoticeTypes.VerificationCode, subject,
            new Dictionary<string, string> { ["code"] = "662345", ["expiresInMinutes"] = "10" }, DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () => (await factory.QueryAsync($"select status from deliveries where request_id = '{old}'")) is ["failed"],
            TestHelpers.Patience, "the old-style request was refused");

        Assert.Equal(["invalid-variables"], await factory.QueryAsync($"select reason from deliveries where request_id = '{old}'"));
        Assert.Empty(await factory.Mail.MailToAsync(factory.Address(subject)));
        await AssertStoredNowhereAsync("551234");
        await AssertStoredNowhereAsync("662345");
    }

    /// <summary>Every row of every table of the service's database (outbox and inbox included), as text, without the code.</summary>
    private async Task AssertStoredNowhereAsync(string code)
    {
        var tables = await DatabaseSnapshot.TablesAsTextAsync(factory.DatabaseConnectionString);
        Assert.Contains("notice_requests", tables.Keys);
        var needle = new Regex($"(?<![0-9]){code}(?![0-9])");
        foreach (var (table, text) in tables)
        {
            Assert.False(needle.IsMatch(text), $"table {table} holds a one-time code");
        }
    }
}
