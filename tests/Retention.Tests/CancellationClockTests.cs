using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

public sealed class CancellationClockTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.5")]
    public async Task Cancelled_account_is_kept_for_a_month_then_erased_with_a_certificate_and_a_notice()
    {
        var subject = Helpers.NewSubject("cancel");
        var tokens = (await Helpers.StoreAsync(factory, subject, DataCategory.Identity, 2))
            .Concat(await Helpers.StoreAsync(factory, subject, DataCategory.Usage, 1)).ToList();
        await factory.FarSide.PublishAsync(new AccountCancelled(subject, factory.Clock.GetUtcNow()));
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("cancelledAt").ValueKind != JsonValueKind.Null,
            Helpers.Delivery, "the cancellation clock started");

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

        var notice = factory.FarSide.Notices.Single(n => n.Message.SubjectId == subject).Message;
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
}
