namespace PrivacySuite.Consent.Infrastructure;

/// <summary>The consent service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class ConsentDbContext(DbContextOptions<ConsentDbContext> options) : ServiceDbContext(options)
{
    public DbSet<Policy> Policies => Set<Policy>();

    public DbSet<PolicyVersion> PolicyVersions => Set<PolicyVersion>();

    public DbSet<PolicyVersionText> PolicyVersionTexts => Set<PolicyVersionText>();

    public DbSet<Purpose> Purposes => Set<Purpose>();

    public DbSet<Subject> Subjects => Set<Subject>();

    public DbSet<ConsentRecord> Consents => Set<ConsentRecord>();

    public DbSet<ConsentHistoryEntry> ConsentHistory => Set<ConsentHistoryEntry>();

    public DbSet<LegalBasisAuditEntry> LegalBasisAudit => Set<LegalBasisAuditEntry>();

    public DbSet<ReceiptKey> ReceiptKeys => Set<ReceiptKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Policy>(e =>
        {
            e.ToTable("policies");
            e.HasKey(p => p.PolicyId);
        });
        modelBuilder.Entity<PolicyVersion>(e =>
        {
            e.ToTable("policy_versions");
            e.HasKey(v => new { v.PolicyId, v.Version });
            e.Property(v => v.Sequence).UseIdentityAlwaysColumn().ValueGeneratedOnAdd();
        });
        modelBuilder.Entity<PolicyVersionText>(e =>
        {
            e.ToTable("policy_version_texts");
            e.HasKey(t => new { t.PolicyId, t.Version });
        });
        modelBuilder.Entity<Purpose>(e =>
        {
            e.ToTable("purposes");
            e.HasKey(p => p.Code);
        });
        modelBuilder.Entity<Subject>(e =>
        {
            e.ToTable("subjects");
            e.HasKey(s => s.SubjectId);
        });
        modelBuilder.Entity<ConsentRecord>(e =>
        {
            e.ToTable("consents");
            e.HasKey(c => new { c.SubjectId, c.Purpose });
        });
        modelBuilder.Entity<ConsentHistoryEntry>(e =>
        {
            e.ToTable("consent_history");
            e.HasKey(h => h.Id);
            e.Property(h => h.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<LegalBasisAuditEntry>(e =>
        {
            e.ToTable("legal_basis_audit");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<ReceiptKey>(e =>
        {
            e.ToTable("receipt_keys");
            e.HasKey(k => k.KeyId);
        });
    }
}
