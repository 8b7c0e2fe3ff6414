using System.Net.Http.Json;

namespace PrivacySuite.Vault.Workers;

/// <summary>
/// Keeps the catalogue fresh in the background, in both regions, so that no write waits for the consent service's answer:
/// a standby's vault forwards its writes and never needed the catalogue, and after a failover its first store fetched
/// it (0.7 s in the drill of 2026-12-07, on top of the store itself).
/// </summary>
public sealed class PurposeCatalogueRefresher(PurposeCatalogue catalogue, IOptions<VaultOptions> options) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var inHand = await catalogue.RefreshIfAgingAsync(stoppingToken);
                await Task.Delay(inHand ? options.Value.PurposeCatalogueMaxAge / 2 : RetryDelay, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
