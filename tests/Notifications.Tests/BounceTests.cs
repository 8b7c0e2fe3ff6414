using System.Net;
using System.Net.Http.Json;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// Issue 21.4: a recipient the mail server refuses for good is a bounce, recorded against the subject's contact. The
/// refusing server is the test's real SMTP server (maildev behind STARTTLS and AUTH, eng/tools/maildev.js), which refuses
/// recipients in the .invalid domain at RCPT with 550 5.1.1, as a relay refuses a domain that cannot exist.
/// </summary>
public sealed class BounceTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    private static string Unreachable(string subject) => $"{subject}@nowhere-{Guid.NewGuid():N}.invalid";

    [Fact]
    public async Task A_refused_recipient_is_recorded_against_the_contact_and_later_notices_skip_it_for_the_next_channel()
    {
        var subject = TestHelpers.NewSubject();
        var bouncing = Unreachable(subject);
        var phone = $"+86-134{Random.Shared.Next(10_000_000, 99_999_999)}";
        factory.Vault.Add(subject, "en", ("email", bouncing), ("sms", phone));
        using var backend = factory.CreateProductBackendClient();
        using var operators = factory.CreateClientFor(SuiteRoles.Operator);

        var first = await (await backend.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        Assert.Equal(1, (await backend.CompletedAsync(first.RequestId)).Delivered);

        // The delivery says the e-mail bounced and SMS took it; the subject's bounces name the channel and the request.
        var delivery = (await backend.GetFromJsonAsync<DeliveryView>($"/v1/notices/{first.RequestId}/deliveries/{subject}"))!;
        Assert.Equal(("delivered", "sms"), (delivery.Status, delivery.Channel));
        Assert.Equal(["email:bounced", "sms:sent"], delivery.Attempts.Select(a => $"{a.Channel}:{a.State}"));
        var bounce = Assert.Single((await operators.GetFromJsonAsync<List<BounceView>>($"/v1/subjects/{subject}/bounces"))!);
        Assert.Equal(("email", first.RequestId), (bounce.Channel, bounce.RequestId));

        // The next notice does not try the bounced address again: SMS only.
        var second = await (await backend.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        Assert.Equal(1, (await backend.CompletedAsync(second.RequestId)).Delivered);
        Assert.Equal(["sms:sent"], await factory.QueryAsync(
            $"select channel || ':' || state from send_attempts where request_id = '{second.RequestId}'"));
        Assert.Equal(2, factory.Sms.To(phone).Count);

        // Kept against the contact, not the subject: a corrected address is tried, and reached.
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)), ("sms", phone));
        var third = await (await backend.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        await backend.CompletedAsync(third.RequestId);
        await factory.Mail.ArrivedAsync(factory.Address(subject));
        Assert.Equal(2, factory.Sms.To(phone).Count);

        // Never the address: not in any table, not in any log.
        foreach (var table in await factory.QueryAsync("select table_name from information_schema.tables where table_schema = 'public'"))
        {
            Assert.DoesNotContain(bouncing, string.Join("\n", await factory.QueryAsync($"select t::text from \"{table}\" t")), StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(bouncing, factory.LoggedText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_subject_whose_only_contact_bounced_fails_with_the_reason_and_is_not_mailed_again()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "zh-CN", ("email", Unreachable(subject)));
        using var client = factory.CreateClientFor(SuiteRoles.Service);

        var first = await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync();
        var second = (await client.CompletedAsync(first.RequestId)).Failed == 1
            ? await (await client.SendNoticeAsync("policy-update", [subject], TestHelpers.PolicyVariables())).AcceptedAsync()
            : throw new Xunit.Sdk.XunitException("the first notice did not fail");
        Assert.Equal(1, (await client.CompletedAsync(second.RequestId)).Failed);

        Assert.Equal(["no-channel-succeeded: email=bounced", "no-channel-succeeded: email=bounced"], await factory.QueryAsync(
            $"select reason from deliveries where request_id in ('{first.RequestId}', '{second.RequestId}')"));
        // Sent once: the second notice never reached the server.
        Assert.Equal(["email:bounced"], await factory.QueryAsync(
            $"select channel || ':' || state from send_attempts where request_id in ('{first.RequestId}', '{second.RequestId}')"));
    }

    [Fact]
    public async Task Deliveries_and_bounces_are_not_for_a_product_that_did_not_send_the_request()
    {
        var subject = TestHelpers.NewSubject();
        factory.Vault.Add(subject, "en", ("email", factory.Address(subject)));
        using var suite = factory.CreateClientFor(SuiteRoles.Service);
        var request = await (await suite.SendNoticeAsync("deletion-certificate", [subject], new Dictionary<string, string>
        {
            ["certificateId"] = "cert-78", ["erasedAt"] = "2026-11-20", ["outcome"] = "erased", ["categories"] = "Identity", ["regions"] = "Beijing", ["verifyUrl"] = "https://example.com/certificates/cert-78",
        })).AcceptedAsync();
        await suite.CompletedAsync(request.RequestId);
        using var backend = factory.CreateProductBackendClient();

        using var delivery = await backend.GetAsync($"/v1/notices/{request.RequestId}/deliveries/{subject}");
        using var bounces = await backend.GetAsync($"/v1/subjects/{subject}/bounces");
        using var unknown = await suite.GetAsync($"/v1/notices/{request.RequestId}/deliveries/someone-else");

        Assert.Equal(HttpStatusCode.NotFound, delivery.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, bounces.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("delivered", (await suite.GetFromJsonAsync<DeliveryView>($"/v1/notices/{request.RequestId}/deliveries/{subject}"))!.Status);
    }
}
