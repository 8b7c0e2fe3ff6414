using System.Net;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

public sealed class MinorTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task Minor_without_guardian_consent_is_erased_in_the_next_sweep()
    {
        var subject = Helpers.NewSubject("minor");
        var tokens = await Helpers.StoreAsync(factory, subject, DataCategory.Identity, 2);
        await factory.FarSide.PublishAsync(new MinorWithoutGuardianConsentDetected(subject, factory.Clock.GetUtcNow()));
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("minorDetectedAt").ValueKind != System.Text.Json.JsonValueKind.Null,
            Helpers.Delivery, "retention recorded the detection");

        await Helpers.SweepAsync(factory); // no time passes: the very next sweep

        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ErasuresFor(subject).Any()), Helpers.Delivery, "the minor's data was sent for erasure");
        var erasure = Assert.Single(factory.FarSide.ErasuresFor(subject));
        Assert.Null(erasure.Category);
        Assert.Equal("minor-without-guardian-consent", erasure.Reason);
        Assert.Equal(tokens.Order(StringComparer.Ordinal), erasure.Tokens!.Order(StringComparer.Ordinal));
    }

    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task A_privacy_officer_can_report_a_minor_through_the_api()
    {
        var subject = Helpers.NewSubject("minorapi");
        await Helpers.StoreAsync(factory, subject, DataCategory.Contact);
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer);

        using var response = await client.PostAsync($"/v1/subjects/{subject}/minor-without-guardian-consent", null);
        using var bad = await client.PostAsync("/v1/subjects/bad%20id!/minor-without-guardian-consent", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        await Helpers.SweepAsync(factory);
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ErasuresFor(subject).Any()), Helpers.Delivery, "the reported minor's data was sent for erasure");
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task Held_minor_is_not_erased()
    {
        var subject = Helpers.NewSubject("heldminor");
        await Helpers.StoreAsync(factory, subject, DataCategory.Identity);
        await Helpers.PlaceHoldAsync(factory, subject, null, "law");
        await factory.FarSide.PublishAsync(new MinorWithoutGuardianConsentDetected(subject, factory.Clock.GetUtcNow()));
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("minorDetectedAt").ValueKind != System.Text.Json.JsonValueKind.Null,
            Helpers.Delivery, "retention recorded the detection");

        await Helpers.SweepAsync(factory);

        Assert.Equal(0, await Helpers.RemovalsCommittedAsync(factory, subject));
        Assert.Empty(factory.FarSide.ErasuresFor(subject));
        Assert.Equal(1, (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32());
    }
}
