using System.Data.Common;
using Microsoft.EntityFrameworkCore.Storage;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Infrastructure;

/// <summary>The vault service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class VaultDbContext(DbContextOptions<VaultDbContext> options) : ServiceDbContext(options)
{
    public DbSet<Subject> Subjects => Set<Subject>();
    public DbSet<PersonalValue> Values => Set<PersonalValue>();
    public DbSet<ConsentDecision> ConsentDecisions => Set<ConsentDecision>();
    public DbSet<ConsentChange> ConsentChanges => Set<ConsentChange>();
    public DbSet<Processor> Processors => Set<Processor>();
    public DbSet<Approval> Approvals => Set<Approval>();
    public DbSet<LegalHold> LegalHolds => Set<LegalHold>();
    public DbSet<Verification> Verifications => Set<Verification>();
    public DbSet<VerifiedContact> VerifiedContacts => Set<VerifiedContact>();
    public DbSet<DeletionCertificate> DeletionCertificates => Set<DeletionCertificate>();
    public DbSet<TransferBasis> TransferBases => Set<TransferBasis>();
    public DbSet<AccessLogEntry> AccessLog => Set<AccessLogEntry>();
    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();

    // The access-log head appended in the open transaction, anchored when that transaction commits. Kept with the
    // transaction it belongs to: a pooled context may carry it past a transaction disposed without commit.
    private (DbTransaction Transaction, AppendedHead Head)? _appended;

    internal void AppendedToAccessLog(DbTransaction transaction, AppendedHead? head)
    {
        if (head is not null)
        {
            // A later append in the same transaction extended the earlier one's head, under the same lock.
            _appended = (transaction, _appended is { } earlier && earlier.Transaction == transaction
                ? head with { ExtendsAnchor = head.ExtendsAnchor && earlier.Head.ExtendsAnchor }
                : head);
        }
    }

    /// <summary>Drops a head left by a transaction that was disposed without commit; called when the next one starts.</summary>
    internal void ForgetAppendedHead() => _appended = null;

    internal AppendedHead? TakeAppendedHead(DbTransaction transaction)
    {
        var appended = _appended;
        _appended = null;
        return appended is { } a && a.Transaction == transaction ? a.Head : null;
    }

    // Key files made stale in the open transaction (erasure, re-key), deleted once it commits (KeyFilesOnCommit) and
    // never before: a rollback must leave the subject readable. Kept with their transaction, as the head above.
    private DbTransaction? _staleKeyFilesTransaction;
    private readonly List<StaleKeyFile> _staleKeyFiles = [];

    /// <summary>Deletes the subject's stale key files after the open transaction commits (<see cref="Subject.StaleKeyFiles"/> is the durable record).</summary>
    internal void DestroyKeyFilesAfterCommit(Subject subject)
    {
        var transaction = Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Key files are destroyed only after a transaction commits; there is none.");
        if (_staleKeyFilesTransaction != transaction)
        {
            _staleKeyFiles.Clear();
            _staleKeyFilesTransaction = transaction;
        }

        subject.StaleKeyFiles = true;
        _staleKeyFiles.Add(new StaleKeyFile(subject.SubjectId, subject.KeyGeneration, subject.WrappedKey is null));
    }

    /// <summary>What waits for the commit now (key files, the access-log head): a savepoint rolled back goes back to it.</summary>
    internal SavepointMark Mark() => new(_staleKeyFiles.Count, _appended);

    /// <summary>Forgets what was added after <paramref name="mark"/>: the savepoint's rows are gone, so must be their after-commit work.</summary>
    internal void RollBackTo(SavepointMark mark)
    {
        ForgetStaleKeyFilesSince(mark.StaleKeyFiles);
        _appended = mark.Appended;
    }

    internal sealed record SavepointMark(int StaleKeyFiles, (DbTransaction Transaction, AppendedHead Head)? Appended);

    internal void ForgetStaleKeyFilesSince(int mark) => _staleKeyFiles.RemoveRange(mark, _staleKeyFiles.Count - mark);

    internal IReadOnlyList<StaleKeyFile> TakeStaleKeyFiles(DbTransaction transaction)
    {
        List<StaleKeyFile> taken = _staleKeyFilesTransaction == transaction ? [.. _staleKeyFiles] : [];
        _staleKeyFiles.Clear();
        _staleKeyFilesTransaction = null;
        return taken;
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Subject>(e => { e.ToTable("subjects"); e.HasKey(s => s.SubjectId); });
        modelBuilder.Entity<PersonalValue>(e => { e.ToTable("personal_values"); e.HasKey(v => v.Token); });
        modelBuilder.Entity<ConsentDecision>(e => { e.ToTable("consent_decisions"); e.HasKey(d => new { d.SubjectId, d.Purpose }); });
        modelBuilder.Entity<ConsentChange>(e => { e.ToTable("consent_changes"); e.HasKey(c => c.SubjectId); });
        modelBuilder.Entity<Processor>(e => { e.ToTable("processors"); e.HasKey(p => p.ProcessorId); });
        modelBuilder.Entity<Approval>(e => { e.ToTable("approvals"); e.HasKey(a => a.ApprovalId); });
        modelBuilder.Entity<LegalHold>(e => { e.ToTable("legal_holds"); e.HasKey(h => h.HoldId); });
        modelBuilder.Entity<Verification>(e => { e.ToTable("verifications"); e.HasKey(v => v.VerificationId); });
        modelBuilder.Entity<VerifiedContact>(e => { e.ToTable("verified_contacts"); e.HasKey(c => new { c.SubjectId, c.Field }); });
        modelBuilder.Entity<DeletionCertificate>(e => { e.ToTable("deletion_certificates"); e.HasKey(c => c.CertificateId); });
        modelBuilder.Entity<TransferBasis>(e => { e.ToTable("transfer_bases"); e.HasKey(b => b.BasisId); });
        modelBuilder.Entity<IdempotencyRecord>(e => { e.ToTable("idempotency_keys"); e.HasKey(k => new { k.Caller, k.IdempotencyKey }); });
        modelBuilder.Entity<AccessLogEntry>(e =>
        {
            e.ToTable("access_log");
            e.HasKey(a => a.Position);
            e.Property(a => a.Position).ValueGeneratedNever();
        });
    }
}
