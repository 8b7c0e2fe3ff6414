using MassTransit;
using Npgsql;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.ServiceDefaults.Messaging;

/// <summary>
/// Base of every consumer: the message id is claimed in the inbox in the same transaction as the consumer's effects
/// (and any events it raises through the outbox). A redelivered or re-sent message finds its claim and does nothing.
/// </summary>
public abstract class InboxConsumer<TMessage, TDb>(TDb db) : IConsumer<TMessage>
    where TMessage : class
    where TDb : ServiceDbContext
{
    protected TDb Db { get; } = db;

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId
            ?? throw new InvalidOperationException($"A {typeof(TMessage).Name} arrived without a message id; it cannot be handled idempotently.");
        var consumer = GetType().Name;

        // The standby region: its replica is written by the primary's consumer of this same message (arriving here over
        // the regions' link). If the primary died first, the promoted outbox publishes the message again.
        if (context.OnStandby())
        {
            return;
        }

        Db.ChangeTracker.Clear();
        await using var tx = await Db.Database.BeginTransactionAsync(context.CancellationToken);

        // If another delivery of the same message is in flight, this insert waits for it and then claims nothing.
        int claimed;
        try
        {
            claimed = await Db.Database.ExecuteSqlAsync(
                $"insert into inbox_messages (message_id, consumer, processed_at) values ({messageId}, {consumer}, now()) on conflict do nothing",
                context.CancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction)
        {
            // Became a standby since the check above (a failback in progress): as above.
            return;
        }

        if (claimed == 0)
        {
            return;
        }

        await HandleAsync(context);
        await Db.SaveChangesAsync(context.CancellationToken);
        await tx.CommitAsync(context.CancellationToken);
    }

    /// <summary>Applies the message's effects to <see cref="Db"/>; they are saved and committed with the inbox claim.</summary>
    protected abstract Task HandleAsync(ConsumeContext<TMessage> context);
}

internal static class ConsumeContextRegion
{
    /// <summary>Whether the consuming service runs in the standby region, where its database is a read-only replica.</summary>
    public static bool OnStandby(this ConsumeContext context) =>
        context.TryGetPayload<IServiceProvider>(out var services) && services.GetService<RegionRole>() is { IsStandby: true };
}
