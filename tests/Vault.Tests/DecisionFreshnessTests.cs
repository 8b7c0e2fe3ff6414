using System.Diagnostics;
using Xunit.Abstractions;

namespace PrivacySuite.Vault.Tests;

/// <summary>Kept consent decisions expire after a short maximum age here (2 s), so that a test can watch one expire.</summary>
public sealed class ShortDecisionAgeFactory : VaultFactory
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    protected override void Configure(IDictionary<string, string?> settings) =>
        settings["PrivacySuite:Vault:ConsentDecisionMaxAge"] = MaxAge.ToString();
}

/// <summary>Issue 18: a kept decision has a bounded age, and a stale answer of the consent service is never kept.</summary>
public sealed class DecisionFreshnessTests(ShortDecisionAgeFactory factory, ITestOutputHelper output) : IClassFixture<ShortDecisionAgeFactory>
{
    private static async Task<HttpResponseMessage> ReadAsync(HttpClient client, string token, string purpose) =>
        await client.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose });

    private static async Task<string> ReasonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString()!;

    [Fact]
    [Trait("Clause", "INF-3.3")]
    public async Task A_kept_decision_is_not_used_past_its_maximum_age_even_when_the_change_sent_no_event()
    {
        var tokens = await factory.StoreAsync("age-1", "usage", new { pages = "home" }, "collected");
        factory.Consent.Answers[("age-1", "offers.relevant")] = true;
        using var client = factory.Backend();
        using var first = await ReadAsync(client, tokens["pages"], "offers.relevant");
        var keptSince = Stopwatch.StartNew();

        // The consent changes and its event is lost: the kept allowance serves reads only until it is too old.
        factory.Consent.Answers[("age-1", "offers.relevant")] = false;
        using var kept = await ReadAsync(client, tokens["pages"], "offers.relevant");
        while (true)
        {
            using var read = await ReadAsync(client, tokens["pages"], "offers.relevant");
            if (read.StatusCode == HttpStatusCode.Forbidden)
            {
                break;
            }

            Assert.True(keptSince.Elapsed < ShortDecisionAgeFactory.MaxAge + TimeSpan.FromSeconds(5), "a kept decision served reads long past its maximum age");
            await Task.Delay(50);
        }

        output.WriteLine($"A kept decision (maximum age {ShortDecisionAgeFactory.MaxAge.TotalSeconds} s) stopped serving reads {keptSince.ElapsedMilliseconds} ms after it was kept");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(kept.StatusCode == HttpStatusCode.OK || keptSince.Elapsed >= ShortDecisionAgeFactory.MaxAge);
        Assert.True(keptSince.Elapsed >= ShortDecisionAgeFactory.MaxAge - TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task An_answer_as_of_before_a_change_the_vault_heard_of_is_neither_used_nor_kept()
    {
        var tokens = await factory.StoreAsync("stale-1", "usage", new { pages = "cart" }, "collected");
        var withdrawnAt = DateTimeOffset.UtcNow;
        await factory.PublishAsync(new ConsentWithdrawn("stale-1", "offers.relevant", withdrawnAt));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.ConsentChanges.AnyAsync(c => c.SubjectId == "stale-1")),
            TimeSpan.FromSeconds(20), "the vault heard of the withdrawal");

        // A consent replica that has not heard of the withdrawal yet still allows.
        factory.Consent.Answers[("stale-1", "offers.relevant")] = true;
        factory.Consent.AsOf["stale-1"] = withdrawnAt - TimeSpan.FromSeconds(1);
        using var client = factory.Backend();
        using var stale = await ReadAsync(client, tokens["pages"], "offers.relevant");
        var keptAny = await factory.WithDbAsync(db => db.ConsentDecisions.AnyAsync(d => d.SubjectId == "stale-1"));

        // Once it has, its answer is kept.
        factory.Consent.Answers[("stale-1", "offers.relevant")] = false;
        factory.Consent.AsOf.TryRemove("stale-1", out _);
        using var current = await ReadAsync(client, tokens["pages"], "offers.relevant");

        Assert.Equal(HttpStatusCode.Forbidden, stale.StatusCode);
        Assert.Equal("consent-changing", await ReasonAsync(stale));
        Assert.False(keptAny);
        Assert.Equal(HttpStatusCode.Forbidden, current.StatusCode);
        Assert.Equal("no-consent", await ReasonAsync(current));
        Assert.True(await factory.WithDbAsync(db => db.ConsentDecisions.AnyAsync(d => d.SubjectId == "stale-1" && !d.Allowed)));
    }

    [Fact]
    [Trait("Clause", "INF-4.2")]
    public async Task A_new_policy_epoch_retires_every_kept_decision_at_once_and_refuses_answers_under_an_older_one()
    {
        var tokens = await factory.StoreAsync("epoch-1", "usage", new { pages = "faq" }, "collected");
        factory.Consent.Answers[("epoch-1", "personalisation")] = true;
        using var client = factory.Backend();
        using var before = await ReadAsync(client, tokens["pages"], "personalisation");

        var epoch = factory.Consent.Epoch + 5;
        await factory.PublishAsync(new PolicyVersionPublished("infobird", $"9.{epoch}", ["personalisation"], DateTimeOffset.UtcNow, epoch));
        await Eventually.HoldsAsync(async () =>
        {
            using var read = await ReadAsync(client, tokens["pages"], "personalisation");
            return read.StatusCode == HttpStatusCode.Forbidden && await ReasonAsync(read) == "consent-changing";
        }, TimeSpan.FromSeconds(20), "the kept decision is retired and an answer under the old epoch refused");

        factory.Consent.Epoch = epoch;
        using var after = await ReadAsync(client, tokens["pages"], "personalisation");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
