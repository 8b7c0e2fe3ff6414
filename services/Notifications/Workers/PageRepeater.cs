using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Notifications.Workers;

/// <summary>
/// Sends the next round of every page nobody acknowledged in time. Each page is locked while its round is recorded
/// (SKIP LOCKED), so two instances, or a new primary after a failover, never send a round twice.
/// </summary>
public sealed class PageRepeater(
    IServiceScopeFactory scopes, DeliverySignal signal, RegionRole region, TimeProvider time, IOptions<OnCallOptions> options, ILogger<PageRepeater> logger)
    : PrimaryRegionWorker(region, logger)
{
    protected override TimeSpan Interval => options.Value.CheckEvery;

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var paging = scope.ServiceProvider.GetRequiredService<Paging>();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.OnCallPages
            .FromSql($"select * from on_call_pages where acknowledged_at is null and next_round_at <= {now} order by next_round_at limit 100 for update skip locked")
            .ToListAsync(cancellationToken);
        foreach (var page in due)
        {
            await paging.SendRoundAsync(page, now, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        if (due.Count > 0)
        {
            signal.Notify();
        }
    }
}
