using PrivacySuite.Incidents.Model;

namespace PrivacySuite.Incidents.Infrastructure;

/// <summary>The incidents service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class IncidentsDbContext(DbContextOptions<IncidentsDbContext> options) : ServiceDbContext(options)
{
    public DbSet<Incident> Incidents => Set<Incident>();

    public DbSet<TimelineEntry> Timeline => Set<TimelineEntry>();

    public DbSet<ContainmentTask> ContainmentTasks => Set<ContainmentTask>();

    public DbSet<RegulatorReport> Reports => Set<RegulatorReport>();

    public DbSet<NoticeCampaign> Campaigns => Set<NoticeCampaign>();

    public DbSet<NoticeBatch> NoticeBatches => Set<NoticeBatch>();

    public DbSet<NamedSubject> NamedSubjects => Set<NamedSubject>();

    /// <summary>Loads an incident and locks its row until the transaction ends, so transitions never interleave.</summary>
    public Task<Incident?> LockIncidentAsync(Guid id, CancellationToken cancellationToken) =>
        Incidents.FromSql($"select * from incidents where id = {id} for update").SingleOrDefaultAsync(cancellationToken);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Incident>(e =>
        {
            e.ToTable("incidents");
            e.Property(i => i.Type).HasConversion<string>();
            e.Property(i => i.Status).HasConversion<string>();
            e.Property(i => i.Grade).HasConversion<string>();
            e.Property(i => i.AssessedGrade).HasConversion<string>();
        });
        modelBuilder.Entity<TimelineEntry>(e =>
        {
            e.ToTable("timeline");
            e.Property(t => t.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<ContainmentTask>().ToTable("containment_tasks");
        modelBuilder.Entity<RegulatorReport>(e =>
        {
            e.ToTable("regulator_reports");
            e.Property(r => r.Kind).HasConversion<string>();
            e.Property(r => r.Content).HasColumnType("jsonb");
        });
        modelBuilder.Entity<NoticeCampaign>(e =>
        {
            e.ToTable("notice_campaigns");
            e.Property(c => c.Variables).HasColumnType("jsonb");
        });
        modelBuilder.Entity<NamedSubject>(e =>
        {
            e.ToTable("notice_named_subjects");
            e.HasKey(n => new { n.CampaignId, n.SubjectId });
            e.HasOne<NoticeCampaign>().WithMany().HasForeignKey(n => n.CampaignId); // the campaign's row goes in first
        });
        modelBuilder.Entity<NoticeBatch>(e =>
        {
            e.ToTable("notice_batches");
            e.HasKey(b => b.BatchId);
        });
    }
}
