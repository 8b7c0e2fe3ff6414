using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Workers;

/// <summary>
/// Finishes what <see cref="KeyFilesOnCommit"/> could not: subjects whose <c>stale_key_files</c> flag is still set (the
/// process stopped between the commit and the deletion, or the deletion failed) get their stale key files deleted and
/// the flag cleared, at start-up and every <see cref="VaultOptions.StaleKeyFileInterval"/>, on the primary region only.
/// Each row is locked while its files go, so no erasure or re-key of the subject runs meanwhile.
/// </summary>
public sealed class StaleKeyFiles(IServiceScopeFactory scopes, Keyring keyring, RegionRole region, IOptions<VaultOptions> options, ILogger<StaleKeyFiles> logger)
    : PrimaryRegionWorker(region, logger)
{
    protected override TimeSpan Interval => options.Value.StaleKeyFileInterval;

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await DestroyAsync(scope.ServiceProvider.GetRequiredService<VaultDbContext>(), cancellationToken);
    }

    /// <summary>One round: answers how many subjects' stale key files are gone now.</summary>
    public async Task<int> DestroyAsync(VaultDbContext db, CancellationToken ct)
    {
        var done = 0;
        var after = "";
        while (true)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var batch = await db.Subjects.FromSql(
                $"select * from subjects where stale_key_files and subject_id > {after} order by subject_id limit 200 for update skip locked").ToListAsync(ct);
            if (batch.Count == 0)
            {
                return done;
            }

            foreach (var subject in batch)
            {
                try
                {
                    keyring.DestroyStaleKeyFiles(new StaleKeyFile(subject.SubjectId, subject.KeyGeneration, subject.WrappedKey is null));
                    subject.StaleKeyFiles = false;
                    done++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    KeyFilesOnCommit.Failures.Add(1);
                    Log.KeyFileDeletionFailed(logger, subject.SubjectId, e.GetType().Name);
                }
            }

            after = batch[^1].SubjectId;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
    }
}
