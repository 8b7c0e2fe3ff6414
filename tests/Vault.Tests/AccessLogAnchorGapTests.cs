using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>The vault with anchoring rounds only when a test runs one, so the window between rounds is under its control.</summary>
public sealed class ManuallyAnchoredVaultFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["PrivacySuite:Vault:AccessLogAnchorInterval"] = "01:00:00";
}

/// <summary>
/// What the anchor interval leaves open, and no more (docs/vault.md, "Access log"): entries committed after the last
/// anchoring round can be cut off the end unnoticed; they cannot be edited, and nothing committed before the round can
/// be removed. Rounds run every AccessLogAnchorInterval, which bounds the window.
/// </summary>
public sealed class AccessLogAnchorGapTests(ManuallyAnchoredVaultFactory factory) : IClassFixture<ManuallyAnchoredVaultFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task Entries_written_after_the_last_anchoring_round_can_be_cut_from_the_end_unnoticed_but_not_edited()
    {
        await factory.StoreAsync("gap-1", "usage", new { a = "1" }, "collected");
        var anchored = await AnchorAsync();
        await factory.StoreAsync("gap-2", "usage", new { a = "2" }, "collected");
        await factory.StoreAsync("gap-3", "usage", new { a = "3" }, "collected");
        Assert.True(await factory.AccessLogHeadAsync() > anchored);

        // Editing an unanchored entry breaks the keyed chain.
        await factory.ExecuteSqlAsync($"update access_log set detail = 'nothing to see' where position = {await factory.AccessLogHeadAsync()}");
        var edited = await factory.VerifyAccessLogAsync();
        Assert.False(edited.GetProperty("valid").GetBoolean());
        Assert.Contains("changed", edited.GetProperty("problem").GetString());

        // Cutting the unanchored tail is the window the interval leaves: the shorter chain verifies.
        await factory.ExecuteSqlAsync($"delete from access_log where position > {anchored}");
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task Every_entry_committed_before_an_anchoring_round_is_protected_against_removal_from_the_end()
    {
        await factory.StoreAsync("round-1", "usage", new { a = "1" }, "collected");
        await factory.StoreAsync("round-2", "usage", new { a = "2" }, "collected");
        var head = await factory.AccessLogHeadAsync();

        Assert.Equal(head, await AnchorAsync());
        var last = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().SingleAsync(a => a.Position == head));
        await factory.ExecuteSqlAsync($"delete from access_log where position = {head}");
        var cut = await factory.VerifyAccessLogAsync();

        Assert.False(cut.GetProperty("valid").GetBoolean());
        Assert.Equal(head, cut.GetProperty("firstBadPosition").GetInt64());
        Assert.Contains("missing", cut.GetProperty("problem").GetString());

        // Put back, the log verifies again (and the other test starts from a sound log).
        await factory.WithDbAsync(async db =>
        {
            db.AccessLog.Add(last);
            return await db.SaveChangesAsync();
        });
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    /// <summary>One anchoring round, as the vault runs every interval.</summary>
    private async Task<long> AnchorAsync() =>
        await factory.Services.GetRequiredService<AccessLogAnchoring>().AnchorAsync(CancellationToken.None) ?? throw new InvalidOperationException("Nothing was anchored.");

}
