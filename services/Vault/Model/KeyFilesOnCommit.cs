using System.Data.Common;
using System.Diagnostics.Metrics;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// Deletes the key files an erasure or a re-key made stale once its transaction has committed, and never before: an
/// erasure that rolls back must leave the subject readable, not half-shredded. A deletion that fails here is logged and
/// counted; <see cref="Workers.StaleKeyFiles"/> retries it from the row's flag. The row is what stops reads at once (its wrapped
/// key is null); the file's deletion is what reaches the copies of the row in backups.
/// </summary>
public sealed class KeyFilesOnCommit(Keyring keyring, ILogger<KeyFilesOnCommit> logger) : AfterCommitInterceptor
{
    internal static readonly Counter<long> Failures = SuiteTelemetry.Meter.CreateCounter<long>(
        "privacysuite.vault.key_file_deletion_failures", description: "Stale key files that could not be deleted; retried from subjects.stale_key_files");

    // A transaction disposed without commit raises no rollback event, and Npgsql reuses transaction objects: whatever is
    // still listed when the next one starts belongs to one that did not commit.
    protected override void Started(DbContext context) => (context as VaultDbContext)?.ForgetStaleKeyFilesSince(0);

    protected override void Committed(DbContext context, DbTransaction transaction)
    {
        if (context is not VaultDbContext db)
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

    protected override void RolledBack(DbContext context, DbTransaction transaction) => (context as VaultDbContext)?.TakeStaleKeyFiles(transaction);
}
