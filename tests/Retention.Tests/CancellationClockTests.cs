using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

public sealed class CancellationClockTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.5")]
    public async Task Cancelled_account_is_kept_for_a_month_then_erased_with_a_certificate_its_receipt_shows()
    {
        var subject = Helpers.NewSubject("cancel");
        var tokens = (await Helpers.StoreAsync(factory, subject, DataCategory.Identity, 2))
            .Concat(await Helpers.StoreAsync(factory, subject, DataCategory.Usage, 1)).ToList();
        var cancelledAt = factory.Clock.GetUtcNow();
        await factory.FarSide.PublishAsync(new AccountCancelled(subject, cancelledAt));
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("cancelledAt").ValueKind != JsonValueKind.Null,
            Helpers.Delivery, "the cancellation clock started");

        // The person is told when, with their receipt's link.
        var cancellation = await CancellationNoticeAsync(subject);
        Assert.Equal(cancelledAt.AddMonths(1).ToString("yyyy-MM-dd"), cancellation.Variables["removeAfter"]);
        Assert.Equal("erased", cancellation.Variables["outcome.en"]);
        var receiptUrl = new Uri(cancellation.Variables["receiptUrl"]);
        Assert.Equal("/receipt.html", receiptUrl.AbsolutePath);
        var receipt = Guid.Parse(receiptUrl.Fragment.TrimStart('#'));

        // The receipt, without a token: the dates and the state, no subject id.
        using var anonymous = factory.CreateClient();
        var waiting = await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{receipt}");
        Assert.Equal(("waiting", "erase"), (waiting.GetProperty("state").GetString(), waiting.GetProperty("action").GetString()));
        Assert.Equal(cancelledAt.AddMonths(1), waiting.GetProperty("removeAfter").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(JsonValueKind.Null, waiting.GetProperty("certificate").ValueKind);
        Assert.DoesNotContain(subject, waiting.GetRawText(), StringComparison.Ordinal);

        factory.Clock.Advance(TimeSpan.FromDays(27));
        await Helpers.SweepAsync(factory);
        Assert.Equal(0, await Helpers.RemovalsCommittedAsync(factory, subject));

        factory.Clock.Advance(TimeSpan.FromDays(5));
        await Helpers.SweepAsync(factory);

        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Notices.Any(n => n.Message.SubjectId == subject && n.Message.NoticeType == NoticeTypes.DeletionCertificate)),
            Helpers.Delivery, "the subject was sent a deletion certificate");
        var erasure = Assert.Single(factory.FarSide.ErasuresFor(subject));
        Assert.Null(erasure.Category);
        Assert.Equal("account-cancellation", erasure.Reason);
        Assert.Equal(tokens.Order(StringComparer.Ordinal), erasure.Tokens!.Order(StringComparer.Ordinal));

        var notice = factory.FarSide.Notices.Single(n => n.Message.SubjectId == subject && n.Message.NoticeType == NoticeTypes.DeletionCertificate).Message;
        Assert.Equal("Beijing,Guangzhou", notice.Variables["regions"]);
        Assert.Equal("Identity,Usage", notice.Variables["categories"]);
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer);
        var certificate = await client.GetFromJsonAsync<JsonElement>($"/v1/deletion-certificates/{notice.Variables["certificateId"]}");
        Assert.Equal(subject, certificate.GetProperty("subjectId").GetString());
        Assert.Equal("erased", certificate.GetProperty("outcome").GetString());
        Assert.Equal(3, certificate.GetProperty("tokenCount").GetInt32());
        Assert.Equal(2, certificate.GetProperty("regions").GetArrayLength());

        var status = await Helpers.SubjectAsync(factory, subject);
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("erasedAt").ValueKind);
        Assert.Equal(0, status.GetProperty("activeTokens").GetInt32());

        // The receipt now shows the certificate the person could not be sent (their contact went with the rest).
        var done = await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{receipt}");
        Assert.Equal("done", done.GetProperty("state").GetString());
        Assert.Equal(notice.Variables["certificateId"], done.GetProperty("certificate").GetProperty("id").GetString());
        Assert.Equal(["Identity", "Usage"], done.GetProperty("certificate").GetProperty("categories").EnumerateArray().Select(c => c.GetString()!).ToArray());

        // A later sweep finds nothing more to do for the subject.
        await Helpers.SweepAsync(factory);
        Assert.Single(factory.FarSide.ErasuresFor(subject));
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    [Trait("Clause", "INF-2.2")]
    [Trait("Clause", "IWK-2.5")]
    public async Task Held_subject_survives_its_cancellation_month_until_every_hold_is_released()
    {
        var subject = Helpers.NewSubject("held");
        await Helpers.StoreAsync(factory, subject, DataCategory.Contact, 2);
        await factory.FarSide.PublishAsync(new AccountCancelled(subject, factory.Clock.GetUtcNow()));
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("cancelledAt").ValueKind != JsonValueKind.Null,
            Helpers.Delivery, "the cancellation clock started");
        var court = await Helpers.PlaceHoldAsync(factory, subject, null, "court-order");
        var dispute = await Helpers.PlaceHoldAsync(factory, subject, null, "complaint-or-dispute");

        factory.Clock.Advance(TimeSpan.FromDays(40));
        var sweep = await Helpers.SweepAsync(factory);
        Assert.True(sweep.GetProperty("subjectsHeld").GetInt64() >= 1);

        using var anonymous = factory.CreateClient();
        var receipt = Guid.Parse(new Uri((await CancellationNoticeAsync(subject)).Variables["receiptUrl"]).Fragment.TrimStart('#'));
        Assert.Equal("held", (await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{receipt}")).GetProperty("state").GetString());

        await Helpers.ReleaseHoldAsync(factory, court.GetProperty("id").GetGuid());
        await Helpers.SweepAsync(factory);
        Assert.Equal(0, await Helpers.RemovalsCommittedAsync(factory, subject));
        var status = await Helpers.SubjectAsync(factory, subject);
        Assert.Equal(2, status.GetProperty("activeTokens").GetInt32());
        Assert.Contains("complaint-or-dispute", status.GetProperty("blockedBecause").GetString());

        await Helpers.ReleaseHoldAsync(factory, dispute.GetProperty("id").GetGuid());
        await Helpers.SweepAsync(factory);
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ErasuresFor(subject).Any()), Helpers.Delivery, "the subject was erased once released");
        Assert.Single(factory.FarSide.ErasuresFor(subject));
    }

    [Fact]
    [Trait("Clause", "IWK-2.5")]
    [Trait("Clause", "INF-6.4")]
    [Trait("Issue", "20")]
    public async Task A_hold_on_a_category_keeps_only_the_accounts_that_have_data_of_it_and_the_others_get_their_certificate()
    {
        var without = Helpers.NewSubject("nodelivery");
        var with = Helpers.NewSubject("delivery");
        await Helpers.StoreAsync(factory, without, DataCategory.Contact, 1);
        await Helpers.StoreAsync(factory, with, DataCategory.Contact, 1);
        await Helpers.StoreAsync(factory, with, DataCategory.Delivery, 1);
        var hold = await Helpers.PlaceHoldAsync(factory, null, DataCategory.Delivery, "authority");
        foreach (var subject in new[] { without, with })
        {
            await factory.FarSide.PublishAsync(new AccountCancelled(subject, factory.Clock.GetUtcNow()));
        }

        using var anonymous = factory.CreateClient();
        var withoutReceipt = Guid.Parse(new Uri((await CancellationNoticeAsync(without)).Variables["receiptUrl"]).Fragment.TrimStart('#'));
        var withReceipt = Guid.Parse(new Uri((await CancellationNoticeAsync(with)).Variables["receiptUrl"]).Fragment.TrimStart('#'));
        Assert.Equal("held", (await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{withReceipt}")).GetProperty("state").GetString());
        Assert.Equal("waiting", (await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{withoutReceipt}")).GetProperty("state").GetString());

        factory.Clock.Advance(TimeSpan.FromDays(40));
        await Helpers.SweepAsync(factory);

        // The account without delivery data goes as a whole, with its certificate; the other keeps its delivery data.
        await Eventually.HoldsAsync(async () => (await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{withoutReceipt}"))
            .GetProperty("state").GetString() == "done", Helpers.Delivery, "the account without delivery data was removed with a certificate");
        Assert.Null(Assert.Single(factory.FarSide.ErasuresFor(without)).Category);
        Assert.All(factory.FarSide.ErasuresFor(with), e => Assert.NotEqual(DataCategory.Delivery, e.Category));
        Assert.Equal("held", (await anonymous.GetFromJsonAsync<JsonElement>($"/v1/cancellation-receipts/{withReceipt}")).GetProperty("state").GetString());
        await Helpers.ReleaseHoldAsync(factory, hold.GetProperty("id").GetGuid());
    }

    [Fact]
    [Trait("Clause", "IWK-2.5")]
    [Trait("Issue", "20")]
    public async Task An_unknown_or_malformed_receipt_is_not_found()
    {
        using var anonymous = factory.CreateClient();

        using var unknown = await anonymous.GetAsync($"/v1/cancellation-receipts/{Guid.NewGuid()}");
        using var malformed = await anonymous.GetAsync("/v1/cancellation-receipts/not-a-receipt");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
    }

    private async Task<NoticeRequested> CancellationNoticeAsync(string subject)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Notices.Any(n => n.Message.SubjectId == subject && n.Message.NoticeType == NoticeTypes.CancellationNotice)),
            Helpers.Delivery, "the person was told of the cancellation");
        return factory.FarSide.Notices.First(n => n.Message.SubjectId == subject && n.Message.NoticeType == NoticeTypes.CancellationNotice).Message;
    }
}
