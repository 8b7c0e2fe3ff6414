using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// Deletes the key files an erasure or a re-key made stale once its transaction has committed, and never before: an
/// erasure that rolls back must leave the subject readable, not half-shredded. A deletion that fails here is logged and
/// counted; <see cref="StaleKeyFiles"/> retries it from the row's flag. The row is what stops reads at once (its wrapped
/// key is null); the file's deletion is what reaches the copies of the row in backups.
/// </summary>
public sealed class KeyFilesOnCommit(Keyring keyring, ILogger<KeyFilesOnCommit> logger) : DbTransactionInterceptor
{
    internal static readonly Counter<long> Failures = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.vault.key_file_deletion_failures", description: "Stale key files that could not be deleted; retried from subjects.stale_key_files");

    // A transaction disposed without commit raises no rollback event, and Npgsql reuses transaction objects: whatever is
    // still listed when the next one starts belongs to one that did not commit.
    public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        (eventData.Context as VaultDbContext)?.ForgetStaleKeyFilesSince(0);
        return result;
    }

    public override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default) => ValueTask.FromResult(TransactionStarted(connection, eventData, result));

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is not VaultDbContext db)
        {
            return;
        }

        foreach (var stale in db.TakeStaleKeyFiles(transaction))
        {
            try
            {
                keyring.DestroyStaleKeyFiles(stale);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The transaction committed: its caller must not see a failure. The flag in the row brings the file back to StaleKeyFiles.
                Failures.Add(1);
                Log.KeyFileDeletionFailed(logger, stale.SubjectId, e.GetType().Name);
            }
        }
    }

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        (eventData.Context as VaultDbContext)?.TakeStaleKeyFiles(transaction);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }
}

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
