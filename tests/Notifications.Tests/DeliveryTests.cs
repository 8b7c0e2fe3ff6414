using System.Net;
using System.Net.Http.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>A gateway attempt times out quickly here, so in-doubt sends are seen within a test.</summary>
public sealed class DeliveryFactory : NotificationsFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PrivacySuite:Notifications:AttemptTimeout"] = "00:00:01";
    }
}

public sealed class DeliveryTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>
{
    [Fact]
    public async Task A_notice_is_emailed_over_SMTP_in_the_subjects_language()
    {
        var zh = TestHelpers.NewSubject("zh");
        var en = TestHelpers.NewSubject("en");
        factory.Vault.Add(zh, "zh-CN", ("email", factory.Address(zh)));
        factory.Vault.Add(en, "en", ("email", factory.Address(en)));
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [zh, en], TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(2, done.Delivered);
        await factory.Mail.ArrivedAsync(factory.Address(zh));
        await factory.Mail.ArrivedAsync(factory.Address(en));
        var mail = await factory.Mail.MailToAsync(factory.MailDomain);
        var toZh = Assert.Single(mail, m => m.Recipient == factory.Address(zh));
        var toEn = Assert.Single(mail, m => m.Recipient == factory.Address(en));
        Assert.Equal("隐私政策更新（版本 2026-12）", toZh.Subject);
        Assert.DoesNotContain("privacy policy", toZh.Text);
        Assert.Equal("Privacy policy update (version 2026-12)", toEn.Subject);
        Assert.DoesNotContain("隐私政策", toEn.Text);
    }

    [Fact]
    public async Task A_subject_whose_language_is_unknown_gets_both_languages()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, null, ("email", factory.Address(subject)));
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        await client.CompletedAsync(request.RequestId);
        await factory.Mail.ArrivedAsync(factory.Address(subject));

        var mail = Assert.Single(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
        Assert.Contains("隐私政策", mail.Text);
        Assert.Contains("privacy policy", mail.Text);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task A_verification_code_goes_by_SMS_through_the_gateway()
    {
        var subject = TestHelpers.NewSubject();
        var phone = $"+86-138{Random.Shared.Next(10_000_000, 99_999_999)}";
        // The code and the channel it goes to come from the vault when it is sent, by the verification's id.
        var verificationId = Guid.NewGuid();
        factory.Vault.AddCode(verificationId, "482913", DateTimeOffset.UtcNow.AddMinutes(10), "zh-CN", ("sms", phone));
        using var client = factory.CreateClientFor(SuiteRoles.Service);

        var request = await (await client.SendNoticeAsync("verification-code", [subject], NoticeVariables.VerificationCode(verificationId))).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(1, done.Delivered);
        var sms = Assert.Single(factory.Sms.To(phone));
        Assert.Contains("482913", sms.Body);
        Assert.Contains("10 分钟内有效", sms.Body);
        Assert.Equal("zh-CN", sms.Language);
    }

    [Fact]
    public async Task A_channel_that_refuses_falls_back_to_the_subjects_next_channel()
    {
        var subject = TestHelpers.NewSubject();
        var device = $"device-{Guid.NewGuid():N}";
        factory.Vault.Add(subject, "en", ("push", device), ("email", factory.Address(subject)));
        factory.Push.Script(HttpStatusCode.BadRequest);
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(1, done.Delivered);
        await factory.Mail.ArrivedAsync(factory.Address(subject));
        Assert.Single(factory.Push.To(device));
        Assert.Single(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
        Assert.Equal(["email"], await factory.QueryAsync($"select channel from deliveries where request_id = '{request.RequestId}'"));
    }

    [Fact]
    public async Task A_gateway_that_is_briefly_unavailable_is_retried_with_the_same_idempotency_key()
    {
        var subject = TestHelpers.NewSubject();
        var phone = $"+86-139{Random.Shared.Next(10_000_000, 99_999_999)}";
        factory.Vault.Add(subject, "en", ("sms", phone), ("email", factory.Address(subject)));
        factory.Sms.Script(HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests);
        // A deletion certificate is the suite's own notice (retention sends it), not a product's.
        using var client = factory.CreateClientFor(SuiteRoles.Service);

        var request = await (await client.SendNoticeAsync("deletion-certificate", [subject], new Dictionary<string, string>
        {
            ["certificateId"] = "cert-77", ["erasedAt"] = "2026-11-20", ["outcome"] = "erased", ["categories"] = "Identity", ["regions"] = "Beijing", ["verifyUrl"] = "https://example.com/certificates/cert-77",
        })).AcceptedAsync();
        await client.CompletedAsync(request.RequestId);

        var calls = factory.Sms.To(phone);
        Assert.Equal([503, 429, 200], calls.Select(c => c.AnsweredWith));
        Assert.Single(calls.Select(c => c.IdempotencyKey).Distinct());
        Assert.DoesNotContain(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
    }

    [Fact]
    public async Task A_send_that_times_out_is_in_doubt_never_repeated_on_that_channel_and_falls_back()
    {
        var subject = TestHelpers.NewSubject();
        var device = $"device-{Guid.NewGuid():N}";
        factory.Vault.Add(subject, "en", ("push", device), ("email", factory.Address(subject)));
        factory.Push.Delay = TimeSpan.FromSeconds(3);
        using var client = factory.CreateProductBackendClient();

        try
        {
            var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
            await client.CompletedAsync(request.RequestId);
            await factory.Mail.ArrivedAsync(factory.Address(subject));

            Assert.Single(factory.Push.To(device));
            Assert.Single(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
            Assert.Equal(["push:in_doubt", "email:sent"], await factory.QueryAsync(
                $"select channel || ':' || state from send_attempts where request_id = '{request.RequestId}' order by started_at"));
        }
        finally
        {
            factory.Push.Delay = TimeSpan.Zero;
        }
    }

    [Fact]
    [Trait("Clause", "INF-7.1")]
    public async Task A_campaign_sent_by_many_workers_at_once_records_one_attempt_one_mail_and_one_published_delivery_per_subject()
    {
        // 32 workers at 1000 e-mails a second: claims and completions share ledger commits.
        var subjects = Enumerable.Range(0, 200).Select(_ => TestHelpers.NewSubject("g")).ToList();
        foreach (var subject in subjects)
        {
            factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        }

        using var client = factory.CreateProductBackendClient();
        var request = await (await client.SendNoticeAsync("policy-update", subjects, TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(subjects.Count, done.Delivered);
        foreach (var subject in subjects)
        {
            await factory.Mail.ArrivedAsync(factory.Address(subject));
        }

        await Task.Delay(500); // a duplicate, if there were one, would show by now
        var recipients = (await factory.Mail.MailToAsync(factory.MailDomain)).Select(m => m.Recipient)
            .Where(r => subjects.Select(factory.Address).Contains(r)).ToList();
        Assert.Equal(subjects.Select(factory.Address).Order(), recipients.Order());
        Assert.Equal(["email:sent:200"], await factory.QueryAsync(
            $"select channel || ':' || state || ':' || count(*) from send_attempts where request_id = '{request.RequestId}' group by channel, state"));
        await Eventually.HoldsAsync(async () => (await factory.QueryAsync(
            $"select count(distinct d->>'subjectId') || ':' || count(*) from outbox_messages, jsonb_array_elements(payload->'deliveries') d where message_type like 'PrivacySuite.Contracts.NoticesDelivered,%' and payload->>'requestId' = '{request.RequestId}' and sent_at is not null"))[0] == "200:200",
            TestHelpers.Patience, "each subject is published as delivered once");
        // Delivered subjects travel together, one event per commit of the sender: fewer events than subjects.
        Assert.InRange(int.Parse((await factory.QueryAsync(
            $"select count(*) from outbox_messages where message_type like 'PrivacySuite.Contracts.NoticesDelivered,%' and payload->>'requestId' = '{request.RequestId}'"))[0],
            System.Globalization.CultureInfo.InvariantCulture), 1, subjects.Count - 1);
    }

    [Fact]
    public async Task After_a_crash_between_send_and_record_the_channel_is_not_used_again()
    {
        // The state a crash leaves: the attempt on e-mail was committed as 'sending', its result never recorded.
        var subject = TestHelpers.NewSubject();
        var phone = $"+86-137{Random.Shared.Next(10_000_000, 99_999_999)}";
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)), ("sms", phone));
        var requestId = Guid.NewGuid();
        await factory.QueryAsync($"""
            insert into notice_requests (request_id, notice_type, variables, subject_count, priority, requested_at)
              values ('{requestId}', 'policy-update', '{System.Text.Json.JsonSerializer.Serialize(TestHelpers.PolicyVariables())}', 1, 0, now());
            insert into send_attempts (request_id, subject_id, channel, state, started_at) values ('{requestId}', '{subject}', 'email', 'sending', now());
            insert into deliveries (request_id, subject_id, priority, next_attempt_at) values ('{requestId}', '{subject}', 0, now());
            """);
        // No product sent this request: its progress is for the suite's operators.
        using var client = factory.CreateClientFor(SuiteRoles.Operator);

        var done = await client.CompletedAsync(requestId);

        Assert.Equal(1, done.Delivered);
        Assert.DoesNotContain(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
        Assert.Single(factory.Sms.To(phone));
        Assert.Equal(["email:in_doubt", "sms:sent"], await factory.QueryAsync(
            $"select channel || ':' || state from send_attempts where request_id = '{requestId}' order by channel"));
    }

    [Fact]
    public async Task A_subject_without_contacts_fails_with_a_reason_and_NoticeFailed()
    {
        var subject = TestHelpers.NewSubject();
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        var done = await client.CompletedAsync(request.RequestId);

        Assert.Equal(1, done.Failed);
        Assert.Equal(["no-contact"], await factory.QueryAsync($"select reason from deliveries where request_id = '{request.RequestId}'"));
        await Eventually.HoldsAsync(async () => (await factory.QueryAsync(
            $"select 1 from outbox_messages where message_type like 'PrivacySuite.Contracts.NoticeFailed,%' and payload->>'requestId' = '{request.RequestId}' and sent_at is not null")).Count == 1,
            TestHelpers.Patience, "NoticeFailed is published");
    }

    [Fact]
    public async Task The_vault_is_called_as_this_service_and_contacts_are_never_written_to_the_database()
    {
        var subject = TestHelpers.NewSubject();
        var phone = $"+86-136{Random.Shared.Next(10_000_000, 99_999_999)}";
        factory.Vault.Add(subject, "en", ("push", "device-token-that-must-not-be-stored"), ("email", factory.Address(subject)), ("sms", phone));
        factory.Push.Script(HttpStatusCode.BadRequest);
        using var client = factory.CreateProductBackendClient();

        var request = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        await client.CompletedAsync(request.RequestId);
        await Eventually.HoldsAsync(async () => (await factory.QueryAsync("select 1 from outbox_messages where sent_at is null")).Count == 0,
            TestHelpers.Patience, "the outbox drains");

        Assert.Equal(0, factory.Vault.Unauthorized);
        var tables = await factory.QueryAsync("select table_name from information_schema.tables where table_schema = 'public'");
        foreach (var table in tables)
        {
            var rows = string.Join("\n", await factory.QueryAsync($"select t::text from \"{table}\" t"));
            Assert.DoesNotContain(factory.Address(subject), rows);
            Assert.DoesNotContain(phone, rows);
            Assert.DoesNotContain("device-token-that-must-not-be-stored", rows);
        }
    }

    [Fact]
    [Trait("Clause", "INF-5.4")]
    public async Task A_disclosure_requested_as_an_event_reaches_the_subject_and_its_delivery_is_published()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "zh-CN", ("email", factory.Address(subject)));
        var requestId = Guid.NewGuid();
        var bus = await factory.TestBusAsync();

        await bus.Publish(new NoticeRequested(requestId, "disclosure-notice", subject, new Dictionary<string, string>
        {
            ["authority"] = "某市公安局", ["legalBasis"] = "《刑事诉讼法》第54条", ["categories"] = "订单记录", ["disclosedAt"] = "2026-11-20",
        }, DateTimeOffset.UtcNow));

        await Eventually.HoldsAsync(async () => (await factory.Mail.MailToAsync(factory.MailDomain)).Any(m => m.Recipient == factory.Address(subject)),
            TestHelpers.Patience, "the disclosure notice is e-mailed");
        var mail = Assert.Single(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
        Assert.Equal("个人信息依法披露告知", mail.Subject);
        Assert.Contains("某市公安局", mail.Text);
        await Eventually.HoldsAsync(async () => (await factory.QueryAsync(
            $"select d->>'subjectId' || ':' || (d->>'channel') from outbox_messages, jsonb_array_elements(payload->'deliveries') d where message_type like 'PrivacySuite.Contracts.NoticesDelivered,%' and payload->>'requestId' = '{requestId}' and sent_at is not null")).SequenceEqual([$"{subject}:email"]),
            TestHelpers.Patience, "the delivery on e-mail is published");
    }

    [Fact]
    public async Task The_same_request_event_twice_sends_once()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        var requestId = Guid.NewGuid();
        var bus = await factory.TestBusAsync();
        var message = new NoticeRequested(requestId, "policy-update", subject, TestHelpers.PolicyVariables(), DateTimeOffset.UtcNow);

        await bus.Publish(message); // two publishes: two message ids, one request id
        await bus.Publish(message);

        // A request that arrived as an event is the suite's: its operators watch it, no product backend sees it.
        using var client = factory.CreateClientFor(SuiteRoles.Operator);
        await Eventually.HoldsAsync(async () => (await client.GetAsync($"/v1/notices/{requestId}")).IsSuccessStatusCode, TestHelpers.Patience, "request recorded");
        await client.CompletedAsync(requestId);
        await factory.Mail.ArrivedAsync(factory.Address(subject));
        await Task.Delay(500); // a second mail, if there were one, would show by now
        Assert.Single(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
    }

    [Fact]
    public async Task Retrying_the_API_call_with_the_same_Idempotency_Key_records_one_request_and_sends_once()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        using var client = factory.CreateProductBackendClient();
        var key = Guid.NewGuid().ToString();

        var first = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables(), key)).AcceptedAsync();
        var second = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables(), key)).AcceptedAsync();
        using var different = await client.SendNoticeAsync("policy-update", [subject, TestHelpers.NewSubject()], TestHelpers.PolicyVariables(), key);
        await client.CompletedAsync(first.RequestId);
        await factory.Mail.ArrivedAsync(factory.Address(subject));
        await Task.Delay(500); // a second mail, if there were one, would show by now

        Assert.Equal(first.RequestId, second.RequestId);
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        await different.ProblemAsync();
        Assert.Single(await factory.Mail.MailToAsync(factory.MailDomain), m => m.Recipient == factory.Address(subject));
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_and_record_nothing()
    {
        using var client = factory.CreateProductBackendClient();
        var before = await factory.QueryAsync("select count(*) from notice_requests");

        using var noKey = await client.PostAsJsonAsync("/v1/notices", new { noticeType = "policy-update", subjectIds = new[] { "s1" }, variables = TestHelpers.PolicyVariables() });
        using var unknownType = await client.SendNoticeAsync("no-such-type", ["s1"], TestHelpers.PolicyVariables());
        using var badSubject = await client.SendNoticeAsync("policy-update", ["someone@example.com"], TestHelpers.PolicyVariables());
        using var noSubjects = await client.SendNoticeAsync("policy-update", [], TestHelpers.PolicyVariables());
        using var missingVariable = await client.SendNoticeAsync("policy-update", ["s1"], new Dictionary<string, string> { ["policyVersion"] = "1" });
        using var malformed = await client.PostAsync("/v1/notices", new StringContent("[", System.Text.Encoding.UTF8, "application/json"));
        using var anonymous = await factory.CreateClient().SendNoticeAsync("policy-update", ["s1"], TestHelpers.PolicyVariables());
        using var unknown = await client.GetAsync($"/v1/notices/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknownType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badSubject.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noSubjects.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missingVariable.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        foreach (var response in new[] { noKey, unknownType, badSubject, noSubjects, missingVariable, unknown })
        {
            await response.ProblemAsync();
        }

        Assert.DoesNotContain("someone@example.com", await badSubject.Content.ReadAsStringAsync());
        Assert.Equal(before, await factory.QueryAsync("select count(*) from notice_requests"));
    }
}
