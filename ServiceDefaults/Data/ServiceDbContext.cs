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

    /// <summary>
    /// Queues many integration events in one COPY, in the current transaction (which must be open): for work that raises
    /// thousands at once, such as a retention sweep batch. Same rows, same relay, same guarantees as <see cref="AddIntegrationEvent{TEvent}"/>.
    /// </summary>
    public async Task AddIntegrationEventsAsync<TEvent>(IReadOnlyCollection<TEvent> integrationEvents, DateTimeOffset now, CancellationToken cancellationToken)
        where TEvent : class
    {
        if (Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("AddIntegrationEventsAsync needs an open transaction, so the events commit with the change they report.");
        }

        var connection = (Npgsql.NpgsqlConnection)Database.GetDbConnection();
        var type = OutboxMessage.TypeName(typeof(TEvent));
        var traceParent = Activity.Current?.Id;
        await using var copy = await connection.BeginBinaryImportAsync(
            "copy outbox_messages (message_id, message_type, payload, trace_parent, created_at, next_attempt_at) from stdin (format binary)", cancellationToken);
        foreach (var integrationEvent in integrationEvents)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(MassTransit.NewId.NextGuid(), NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(type, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(JsonSerializer.Serialize(integrationEvent, EventJson), NpgsqlTypes.NpgsqlDbType.Jsonb, cancellationToken);
            if (traceParent is null)
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await copy.WriteAsync(traceParent, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            }

            await copy.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await copy.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
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
