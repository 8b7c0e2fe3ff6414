using System.Diagnostics;
using System.Text.Json;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// Base of every service's DbContext: it owns the transactional outbox and the inbox, so that an event is written
/// in the same transaction as the change it reports, and a consumed message is recorded with the effects it had.
/// </summary>
public abstract class ServiceDbContext(DbContextOptions options) : DbContext(options)
{
    internal static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web);

    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    public DbSet<InboxMessage> InboxMessages => Set<InboxMessage>();

    /// <summary>
    /// Queues an integration event to be published once the current unit of work commits. Nothing reaches the broker
    /// if the transaction rolls back; once it commits, the relay publishes it even if the broker is down right now.
    /// </summary>
    public void AddIntegrationEvent<TEvent>(TEvent integrationEvent, DateTimeOffset now)
        where TEvent : class
    {
        OutboxMessages.Add(new OutboxMessage
        {
            MessageId = MassTransit.NewId.NextGuid(),
            MessageType = OutboxMessage.TypeName(typeof(TEvent)),
            Payload = JsonSerializer.Serialize(integrationEvent, EventJson),
            TraceParent = Activity.Current?.Id,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasKey(m => m.Sequence);
            e.Property(m => m.Sequence).UseIdentityAlwaysColumn();
            e.Property(m => m.Payload).HasColumnType("jsonb");
        });
        modelBuilder.Entity<InboxMessage>(e =>
        {
            e.ToTable("inbox_messages");
            e.HasKey(m => new { m.MessageId, m.Consumer });
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.Conventions.Add(_ => new SnakeCaseNamingConvention());
}
