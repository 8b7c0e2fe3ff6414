using System.Runtime.ExceptionServices;
using MassTransit;
using Npgsql;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.ServiceDefaults.Messaging;

/// <summary>
/// The inbox of <see cref="InboxConsumer{TMessage,TDb}"/> for consumers of high-volume events (a campaign's delivery
/// outcomes): messages arrive in batches, and one transaction claims every message id of the batch and holds the effects
/// of all the claimed ones, so a busy consumer pays one commit per batch instead of one per message. Register it with
/// <see cref="MessagingExtensions.AddInboxBatchConsumer{TConsumer}"/>.
/// A batch that fails is taken apart: every message again, each in a transaction of its own, so that one bad message
/// neither holds back nor undoes the others. If one still fails, the batch fails and is retried (the messages already
/// handled are then found claimed); after the last retry MassTransit moves the whole batch to the error queue, where
/// re-sending the handled ones is harmless.
/// </summary>
public abstract class InboxBatchConsumer<TMessage, TDb>(TDb db) : IConsumer<Batch<TMessage>>
    where TMessage : class
    where TDb : ServiceDbContext
{
    protected TDb Db { get; } = db;

    public async Task Consume(ConsumeContext<Batch<TMessage>> context)
    {
        // The standby region: as in InboxConsumer, its replica is written by the primary's consumer of the same messages.
        if (context.OnStandby())
        {
            return;
        }

        var messages = context.Message.ToList();
        try
        {
            await HandleInOneTransactionAsync(messages, context.CancellationToken);
        }
        catch (Exception) when (messages.Count > 1 && !context.CancellationToken.IsCancellationRequested)
        {
            List<ExceptionDispatchInfo> failures = [];
            foreach (var message in messages)
            {
                try
                {
                    await HandleInOneTransactionAsync([message], context.CancellationToken);
                }
                catch (Exception e)
                {
                    failures.Add(ExceptionDispatchInfo.Capture(e));
                }
            }

            if (failures.Count == 1)
            {
                failures[0].Throw();
            }
            else if (failures.Count > 1)
            {
                throw new AggregateException(failures.Select(f => f.SourceException));
            }
        }
    }

    /// <summary>Applies one message's effects to <see cref="Db"/>; they are saved and committed with the batch's inbox claims.</summary>
    protected abstract Task HandleAsync(ConsumeContext<TMessage> context);

    private async Task HandleInOneTransactionAsync(IReadOnlyList<ConsumeContext<TMessage>> messages, CancellationToken cancellationToken)
    {
        var ids = messages.Select(m => m.MessageId
            ?? throw new InvalidOperationException($"A {typeof(TMessage).Name} arrived without a message id; it cannot be handled idempotently.")).ToArray();
        var consumer = GetType().Name;

        Db.ChangeTracker.Clear();
        await using var tx = await Db.Database.BeginTransactionAsync(cancellationToken);
        List<Guid> claimed;
        try
        {
            // As in InboxConsumer: a message whose other delivery is in flight waits for it here, and then is not claimed.
            claimed = await Db.Database.SqlQuery<Guid>($"""
                insert into inbox_messages (message_id, consumer, processed_at)
                select distinct id, {consumer}, now() from unnest({ids}) as id
                on conflict do nothing
                returning message_id as "Value"
                """).ToListAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction)
        {
            return; // became a standby since the check above
        }

        if (claimed.Count == 0)
        {
            return;
        }

        var toHandle = claimed.ToHashSet();
        foreach (var message in messages)
        {
            // Remove: a message delivered twice within one batch is handled once.
            if (toHandle.Remove(message.MessageId!.Value))
            {
                await HandleAsync(message);
            }
        }

        await Db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}
