using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Workers;

/// <summary>
/// Anchors the committed head every <see cref="VaultOptions.AccessLogAnchorInterval"/>. Appends anchor their own heads;
/// this round catches the entries of an append whose process stopped between its commit and its anchor (the operation
/// that wrote them never answered), so that even those are protected within one interval.
/// </summary>
public sealed class AccessLogAnchoring(
    IServiceScopeFactory scopes, AccessLogAnchor anchor, RegionRole region, IOptions<VaultOptions> options, ILogger<AccessLogAnchoring> logger)
    : PrimaryRegionWorker(region, logger) // one writer of the shared anchor: a standby's replica may trail the primary
{
    protected override TimeSpan Interval => options.Value.AccessLogAnchorInterval;

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => AnchorAsync(cancellationToken);

    /// <summary>One round: anchors the head committed now, unless the chain no longer holds the anchored entry. Answers the anchored position.</summary>
    public async Task<long?> AnchorAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VaultDbContext>();
        var head = await db.AccessLog.AsNoTracking().OrderByDescending(a => a.Position)
            .Select(a => new { a.Position, a.Hash }).FirstOrDefaultAsync(cancellationToken);
        if (head is null)
        {
            return anchor.Read()?.Position;
        }

        anchor.Anchor(new AppendedHead(head.Position, head.Hash, await anchor.ExtendsAsync(db, head.Position, head.Hash, cancellationToken)));
        return anchor.Read()?.Position;
    }
}
