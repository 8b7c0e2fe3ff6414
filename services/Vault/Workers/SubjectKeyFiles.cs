using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Workers;

/// <summary>
/// Gives subjects stored before per-subject key files existed their key file, without an operator step: at start-up
/// and then every <see cref="VaultOptions.KeyFileUpgradeInterval"/> (which also catches rows a failover or a restore
/// brings back), on the primary region only (a standby's database is a read-only replica). Finding none costs one
/// look-up on a partial index that holds only such subjects.
/// </summary>
public sealed class SubjectKeyFiles(IServiceScopeFactory scopes, Keyring keyring, RegionRole region, IOptions<VaultOptions> options, ILogger<SubjectKeyFiles> logger)
    : PrimaryRegionWorker(region, logger)
{
    protected override TimeSpan Interval => options.Value.KeyFileUpgradeInterval;

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VaultDbContext>();
        int batch, given = 0;
        while ((batch = await keyring.GiveKeyFilesAsync(db, cancellationToken)) > 0)
        {
            given += batch;
        }

        if (given > 0)
        {
            Log.KeyFilesGiven(logger, given);
        }
    }
}
