using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PrivacySuite.ServiceDefaults.Workers;

namespace PrivacySuite.ServiceDefaults.Messaging;

/// <summary>Wakes the relay when a transaction commits, so events leave within milliseconds instead of a poll interval.</summary>
public sealed class OutboxSignal : WakeUpSignal;

/// <summary>Notifies the relay after a save outside an explicit transaction, and after every commit.</summary>
public sealed class OutboxCommitInterceptor(OutboxSignal signal) : DbTransactionInterceptor, ISaveChangesInterceptor
{
    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        signal.Notify();
        return Task.CompletedTask;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => signal.Notify();

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            signal.Notify();
        }

        return ValueTask.FromResult(result);
    }
}
