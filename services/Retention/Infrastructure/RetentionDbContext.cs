using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.Infrastructure;

/// <summary>The retention service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class RetentionDbContext(DbContextOptions<RetentionDbContext> options) : ServiceDbContext(options)
{
    public DbSet<RetentionSchedule> Schedules => Set<RetentionSchedule>();
    public DbSet<RetentionSubject> Subjects => Set<RetentionSubject>();
    public DbSet<InventoryItem> Inventory => Set<InventoryItem>();
    public DbSet<PurposeFulfilment> PurposeFulfilments => Set<PurposeFulfilment>();
    public DbSet<LegalHold> LegalHolds => Set<LegalHold>();
    public DbSet<LegalHoldAuditEntry> LegalHoldAudit => Set<LegalHoldAuditEntry>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();
    public DbSet<SweepItem> SweepItems => Set<SweepItem>();
    public DbSet<DeletionCertificate> DeletionCertificates => Set<DeletionCertificate>();
    public DbSet<TerminationPlan> TerminationPlans => Set<TerminationPlan>();
    public DbSet<TerminationNoticeRun> TerminationNoticeRuns => Set<TerminationNoticeRun>();
    public DbSet<TransferPlan> TransferPlans => Set<TransferPlan>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<RetentionSchedule>(e =>
        {
            e.ToTable("retention_schedules");
            e.Property(s => s.Category).HasConversion<string>();
        });
        modelBuilder.Entity<RetentionSubject>(e =>
        {
            e.ToTable("retention_subjects");
            e.HasKey(s => s.SubjectId);
        });
        modelBuilder.Entity<InventoryItem>(e =>
        {
            e.ToTable("inventory_items");
            e.HasKey(i => i.Token);
            e.Property(i => i.Category).HasConversion<string>();
        });
        modelBuilder.Entity<PurposeFulfilment>(e =>
        {
            e.ToTable("purpose_fulfilments");
            e.HasKey(f => new { f.SubjectId, f.Purpose });
        });
        modelBuilder.Entity<LegalHold>(e =>
        {
            e.ToTable("legal_holds");
            e.Property(h => h.Category).HasConversion<string>();
        });
        modelBuilder.Entity<LegalHoldAuditEntry>(e =>
        {
            e.ToTable("legal_hold_audit");
            e.Property(a => a.Id).UseIdentityAlwaysColumn();
            e.HasOne<LegalHold>().WithMany().HasForeignKey(a => a.HoldId); // so EF inserts the hold first
        });
        modelBuilder.Entity<Sweep>(e => e.ToTable("sweeps"));
        modelBuilder.Entity<TransferPlan>(e => e.ToTable("transfer_plans"));
        modelBuilder.Entity<SweepItem>(e =>
        {
            e.ToTable("sweep_items");
            e.HasOne<Sweep>().WithMany().HasForeignKey(i => i.SweepId);
            e.Property(i => i.Category).HasConversion<string>();
        });
        modelBuilder.Entity<DeletionCertificate>(e => e.ToTable("deletion_certificates"));
        modelBuilder.Entity<TerminationPlan>(e => e.ToTable("termination_plans"));
        modelBuilder.Entity<TerminationNoticeRun>(e =>
        {
            e.ToTable("termination_notice_runs");
            e.HasKey(r => new { r.PlanId, r.DueAt });
            e.HasOne<TerminationPlan>().WithMany().HasForeignKey(r => r.PlanId);
        });
    }
}
