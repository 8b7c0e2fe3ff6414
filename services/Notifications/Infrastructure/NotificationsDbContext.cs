using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Infrastructure;

/// <summary>The notifications service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class NotificationsDbContext(DbContextOptions<NotificationsDbContext> options) : ServiceDbContext(options)
{
    public DbSet<NoticeRequest> NoticeRequests => Set<NoticeRequest>();

    public DbSet<Delivery> Deliveries => Set<Delivery>();

    public DbSet<SendAttempt> SendAttempts => Set<SendAttempt>();

    public DbSet<Bulletin> Bulletins => Set<Bulletin>();

    public DbSet<ContactBounce> ContactBounces => Set<ContactBounce>();

    public DbSet<OnCallPage> OnCallPages => Set<OnCallPage>();

    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<NoticeRequest>(e =>
        {
            e.ToTable("notice_requests");
            e.HasKey(r => r.RequestId);
            // Stored as JSON text through a converter: the variables are a flat map, nothing to query inside.
            e.Property(r => r.Variables).HasColumnType("jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                s => JsonSerializer.Deserialize<Dictionary<string, string>>(s, JsonSerializerOptions.Default) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    v => v.Count,
                    v => new Dictionary<string, string>(v)));
        });
        modelBuilder.Entity<Delivery>(e =>
        {
            e.ToTable("deliveries");
            e.HasKey(d => d.Sequence);
            e.Property(d => d.Sequence).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<SendAttempt>(e =>
        {
            e.ToTable("send_attempts");
            e.HasKey(a => new { a.RequestId, a.SubjectId, a.Channel });
        });
        modelBuilder.Entity<ContactBounce>(e =>
        {
            e.ToTable("contact_bounces");
            e.HasKey(b => new { b.SubjectId, b.Channel, b.ContactHash });
        });
        modelBuilder.Entity<OnCallPage>(e =>
        {
            e.ToTable("on_call_pages");
            e.HasKey(p => p.PageId);
        });
        modelBuilder.Entity<WebhookEndpoint>(e =>
        {
            e.ToTable("webhook_endpoints");
            e.HasKey(w => w.EndpointId);
        });
        modelBuilder.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.HasKey(d => d.DeliveryId);
        });
        modelBuilder.Entity<Bulletin>(e =>
        {
            e.ToTable("bulletins");
            e.HasKey(b => b.BulletinId);
        });
    }
}
