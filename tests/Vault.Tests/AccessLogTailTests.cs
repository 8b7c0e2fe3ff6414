using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>Entries cut off the end of the access log, which the hash chain alone cannot show (IWK-2.3).</summary>
public sealed class AccessLogTailTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task Verification_detects_entries_removed_from_the_end_even_when_new_entries_follow()
    {
        for (var i = 1; i <= 4; i++)
        {
            await factory.StoreAsync($"tail-{i}", "usage", new { a = $"{i}" }, "collected");
        }

        var head = await factory.AccessLogHeadAsync();
        Assert.Equal(head, factory.Services.GetRequiredService<AccessLogAnchor>().Read()?.Position);
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
        var tail = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().Where(a => a.Position > head - 2).OrderBy(a => a.Position).ToListAsync());

        // The last two entries go: the chain that is left is intact, and still the log is not.
        await factory.ExecuteSqlAsync($"delete from access_log where position > {head - 2}");
        var truncated = await factory.VerifyAccessLogAsync();
        Assert.False(truncated.GetProperty("valid").GetBoolean());
        Assert.Equal(head - 1, truncated.GetProperty("firstBadPosition").GetInt64());
        Assert.Contains("missing", truncated.GetProperty("problem").GetString());
        using (var output = new StringWriter())
        {
            Assert.Equal(2, await VaultCommands.RunAsync(factory.Services, output, CancellationToken.None));
            Assert.Contains($"position {head - 1}", output.ToString());
        }

        // Put back, the log verifies again: the anchor is not a false alarm.
        await factory.WithDbAsync(async db =>
        {
            db.AccessLog.AddRange(tail);
            return await db.SaveChangesAsync();
        });
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());

        // Cut again, and the vault writes on over the gap: the entries at the anchored position are not the ones anchored.
        await factory.ExecuteSqlAsync($"delete from access_log where position > {head - 2}");
        for (var i = 5; i <= 7; i++)
        {
            await factory.StoreAsync($"tail-{i}", "usage", new { a = $"{i}" }, "collected");
        }

        var overwritten = await factory.VerifyAccessLogAsync();
        Assert.False(overwritten.GetProperty("valid").GetBoolean());
        Assert.Equal(head, overwritten.GetProperty("firstBadPosition").GetInt64());
        Assert.Contains("anchored head", overwritten.GetProperty("problem").GetString());
    }

}
