using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Data;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Infrastructure;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// A standby rehearses a store when it starts, so its first store after a promotion is not the first time it runs
/// (issue 22.5). The rehearsal runs in a read-only transaction, which a primary refuses the same way: here, on the test's
/// primary, it must run to its end and leave no trace.
/// </summary>
public sealed class StandbyRehearsalTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private const string Nobody = StandbyRehearsal.Nobody;

    [Fact]
    public async Task The_store_rehearsal_runs_to_its_end_and_writes_nothing()
    {
        await factory.StoreAsync("rehearsal-1", "delivery", new { address = "No. 1 Test Road" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        var head = await factory.AccessLogHeadAsync();
        var anchored = factory.Services.GetRequiredService<AccessLogAnchor>().Read();
        var outbox = (await factory.OutboxAsync()).Count;
        var logged = factory.Logs.Count;

        await StandbyRehearsals.RunTheOneAsync<VaultDbContext>(factory.Services);

        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == Nobody)));
        Assert.False(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.SubjectId == Nobody)));
        Assert.False(await factory.WithDbAsync(db => db.InboxMessages.AnyAsync(m => m.Consumer == Nobody)));
        Assert.Equal(head, await factory.AccessLogHeadAsync());
        Assert.Equal(anchored, factory.Services.GetRequiredService<AccessLogAnchor>().Read());
        Assert.Equal(outbox, (await factory.OutboxAsync()).Count);
        Assert.False(new SubjectKeyStore(factory.KeyDirectory, TimeSpan.Zero).Exists(Nobody, 1));
        // Its refusals are expected: none is logged as an error or a warning.
        Assert.DoesNotContain(factory.Logs.Skip(logged), l => l.Contains(" Error:", StringComparison.Ordinal) || l.Contains(" Warning:", StringComparison.Ordinal));
    }
}
