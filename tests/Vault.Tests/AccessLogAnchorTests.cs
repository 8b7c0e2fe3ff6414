using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore.Storage;
using PrivacySuite.Vault.Infrastructure;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>The vault with no anchoring rounds during a test: whatever is anchored, the appends anchored themselves.</summary>
public sealed class ManuallyAnchoredVaultFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["PrivacySuite:Vault:AccessLogAnchorInterval"] = "01:00:00";
}

/// <summary>
/// Every append anchors the head it committed before the operation answers (docs/vault.md, "Access log"), so no entry
/// of an answered write or read can be cut off the end of the log unnoticed, however soon after the answer.
/// </summary>
public sealed class AccessLogAnchorTests(ManuallyAnchoredVaultFactory factory) : IClassFixture<ManuallyAnchoredVaultFactory>
{
    private AccessLogAnchor Anchor => factory.Services.GetRequiredService<AccessLogAnchor>();

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task The_entry_of_an_answered_write_cannot_be_cut_from_the_end_unnoticed()
    {
        await factory.StoreAsync("cut-write-1", "usage", new { a = "1" }, "collected");
        await factory.StoreAsync("cut-write-2", "usage", new { a = "2" }, "collected");
        var head = await factory.AccessLogHeadAsync();

        Assert.Equal(head, Anchor.Read()?.Position);
        await CutAndPutBackAsync(head);
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task The_entry_of_an_answered_read_cannot_be_cut_from_the_end_unnoticed()
    {
        var tokens = await factory.StoreAsync("cut-read-1", "device", new { model = "Mi" }, "collected");
        await factory.GrantAsync("cut-read-1", "service.optimisation");
        using var client = factory.Backend();

        using var read = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.Values, purpose = "service.optimisation" });
        read.EnsureSuccessStatusCode();
        var head = await factory.AccessLogHeadAsync();
        var last = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().SingleAsync(a => a.Position == head));

        Assert.Equal(("read", "cut-read-1"), (last.Action, last.SubjectId));
        Assert.Equal(head, Anchor.Read()?.Position);
        await CutAndPutBackAsync(head);
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task Writes_after_a_cut_do_not_move_the_anchor_past_it()
    {
        await factory.StoreAsync("over-1", "usage", new { a = "1" }, "collected");
        var head = await factory.AccessLogHeadAsync();
        var cut = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().SingleAsync(a => a.Position == head));
        await factory.ExecuteSqlAsync($"delete from access_log where position = {head}");

        // The vault writes on over the gap: its appends see the anchored entry gone and leave the anchor where it was.
        await factory.StoreAsync("over-2", "usage", new { a = "2" }, "collected");
        await factory.StoreAsync("over-3", "usage", new { a = "3" }, "collected");

        Assert.Equal(head, Anchor.Read()?.Position);
        Assert.Contains(factory.Logs, l => l.Contains("no longer holds its anchored head", StringComparison.Ordinal));
        var verified = await factory.VerifyAccessLogAsync();
        Assert.False(verified.GetProperty("valid").GetBoolean());
        Assert.Equal(head, verified.GetProperty("firstBadPosition").GetInt64());

        // Put back as it was (the writes over the gap go, the cut entry returns), the log verifies and appends anchor again.
        await factory.ExecuteSqlAsync($"delete from access_log where position >= {head}");
        await factory.WithDbAsync(async db =>
        {
            db.AccessLog.Add(cut);
            return await db.SaveChangesAsync();
        });
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
        await factory.StoreAsync("over-4", "usage", new { a = "4" }, "collected");
        Assert.Equal(await factory.AccessLogHeadAsync(), Anchor.Read()?.Position);
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task An_anchoring_round_that_read_the_head_before_a_later_append_raises_no_alarm()
    {
        await factory.StoreAsync("stale-round-1", "usage", new { a = "1" }, "collected");
        var read = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().OrderByDescending(a => a.Position).FirstAsync());
        await factory.StoreAsync("stale-round-2", "usage", new { a = "2" }, "collected");
        Assert.True(Anchor.Read()?.Position > read.Position);

        // The round read its head, then that append committed and anchored a later one: nothing was cut.
        Assert.True(await factory.WithDbAsync(db => Anchor.ExtendsAsync(db, read.Position, read.Hash, CancellationToken.None)));

        // Cut back below that head, the same round's check sees the anchored entry gone.
        var anchored = Anchor.Read()!.Value.Position;
        var cut = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().Where(a => a.Position > read.Position).OrderBy(a => a.Position).ToListAsync());
        await factory.ExecuteSqlAsync($"delete from access_log where position > {read.Position}");
        Assert.False(await factory.WithDbAsync(db => Anchor.ExtendsAsync(db, read.Position, read.Hash, CancellationToken.None)));

        await factory.WithDbAsync(async db =>
        {
            db.AccessLog.AddRange(cut);
            return await db.SaveChangesAsync();
        });
        Assert.Equal(anchored, await factory.AccessLogHeadAsync());
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task A_transaction_dropped_without_commit_leaves_nothing_for_the_next_commit_to_anchor()
    {
        await factory.StoreAsync("dropped-1", "usage", new { a = "1" }, "collected");
        var head = await factory.AccessLogHeadAsync();
        var books = factory.Services.GetRequiredService<AccessLogBook>();

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VaultDbContext>();
        await db.Database.OpenConnectionAsync(); // one connection for both transactions, as a pooled context may have
        var dropped = await db.Database.BeginTransactionAsync();
        await books.AppendAsync(db, CancellationToken.None, new AccessRecord("read", "allowed", "dropped-1", "test"));
        var first = dropped.GetDbTransaction();
        await dropped.DisposeAsync(); // no commit and no rollback call: the append is gone, and no rollback event came

        await using (var next = await db.Database.BeginTransactionAsync())
        {
            Assert.Same(first, next.GetDbTransaction()); // Npgsql hands the same transaction object out again
            await next.CommitAsync();
        }

        // The dropped append never committed: the anchor stays on the committed head and the log verifies.
        Assert.Equal(head, await factory.AccessLogHeadAsync());
        Assert.Equal(head, Anchor.Read()?.Position);
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    /// <summary>Removes the entry at the head: verification names it missing; put back, the log verifies again.</summary>
    private async Task CutAndPutBackAsync(long head)
    {
        var last = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().SingleAsync(a => a.Position == head));
        await factory.ExecuteSqlAsync($"delete from access_log where position = {head}");
        var cut = await factory.VerifyAccessLogAsync();

        Assert.False(cut.GetProperty("valid").GetBoolean());
        Assert.Equal(head, cut.GetProperty("firstBadPosition").GetInt64());
        Assert.Contains("missing", cut.GetProperty("problem").GetString());

        await factory.WithDbAsync(async db =>
        {
            db.AccessLog.Add(last);
            return await db.SaveChangesAsync();
        });
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }
}
