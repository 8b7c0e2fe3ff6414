using System.Net;
using System.Net.Http.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

/// <summary>
/// Which schedules the vault is told by name and which by tokens: a category's only schedule, counted from collection,
/// goes by range (the vault can apply it itself) for subjects nothing else concerns; a category with a schedule of its
/// own for a purpose, and every subject with a verdict of its own (here a cancellation), go by tokens.
/// </summary>
public sealed class SweepRequestKindTests : IAsyncLifetime
{
    private readonly RetentionFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task A_category_goes_by_range_until_a_purpose_has_a_schedule_of_its_own_and_a_cancelled_subject_always_goes_by_tokens()
    {
        var old = _factory.Clock.GetUtcNow().AddDays(-100);
        var plain = Helpers.NewSubject("kind-plain");
        var cancelled = Helpers.NewSubject("kind-cancelled");
        await Helpers.StoreAsync(_factory, plain, DataCategory.Location, 2, old);
        var cancelledTokens = await Helpers.StoreAsync(_factory, cancelled, DataCategory.Location, 2, old);
        await _factory.FarSide.PublishAsync(new AccountCancelled(cancelled, _factory.Clock.GetUtcNow()));
        await Eventually.HoldsAsync(async () => await _factory.ScalarAsync<long>($"select count(*) from retention_subjects where subject_id = '{cancelled}' and cancelled_at is not null") == 1,
            Helpers.Delivery, "the cancellation clock started");

        var first = (await Helpers.SweepAsync(_factory)).GetProperty("id").GetGuid();

        // The plain subject is named with the schedule and its cut-off; the cancelled one's due tokens are listed.
        Assert.Equal(1L, await _factory.ScalarAsync<long>(
            $"select count(*) from sweep_items where sweep_id = '{first}' and stored_before is not null and category = 'Location' and '{plain}' = any (subject_ids)"));
        Assert.Equal(0L, await _factory.ScalarAsync<long>($"select count(*) from sweep_items where sweep_id = '{first}' and '{cancelled}' = any (subject_ids)"));
        Assert.Equal(cancelledTokens.Order(StringComparer.Ordinal), (await _factory.ScalarAsync<string[]>(
            $"select tokens from sweep_items where sweep_id = '{first}' and stored_before is null and '{cancelled}' = any (token_subjects)")).Order(StringComparer.Ordinal));
        Assert.Equal(4L, await _factory.ScalarAsync<long>($"select tokens_requested from sweeps where id = '{first}'"));

        using (var officer = _factory.ClientFor(SuiteRoles.PrivacyOfficer, "officer-zhao"))
        using (var put = await officer.PutAsJsonAsync("/v1/schedules/Location/marketing.offers", new { periodDays = 30, action = "erase", trigger = "collection" }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var later = Helpers.NewSubject("kind-later");
        var laterTokens = await Helpers.StoreAsync(_factory, later, DataCategory.Location, 2, old);

        var second = (await Helpers.SweepAsync(_factory)).GetProperty("id").GetGuid();

        // Location now has two schedules, told apart by purpose, which the vault does not know: its tokens are listed.
        Assert.Equal(0L, await _factory.ScalarAsync<long>($"select count(*) from sweep_items where sweep_id = '{second}' and stored_before is not null"));
        Assert.Equal(laterTokens.Order(StringComparer.Ordinal), (await _factory.ScalarAsync<string[]>(
            $"select tokens from sweep_items where sweep_id = '{second}' and '{later}' = any (token_subjects)")).Order(StringComparer.Ordinal));
    }
}
