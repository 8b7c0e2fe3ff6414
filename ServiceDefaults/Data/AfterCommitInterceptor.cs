using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// The one place for work that must wait until a transaction has committed (issue 19.2), whether HTTP or a message
/// asked for it: a service's interceptor derives from this and is added to its DbContext's options. What a transaction
/// left for after its commit is done in <see cref="Committed"/> and dropped in <see cref="RolledBack"/>. The async
/// events run the same code: the work is in memory, or a file deletion, and quick.
/// </summary>
public abstract class AfterCommitInterceptor : DbTransactionInterceptor
{
    /// <summary>A transaction began on <paramref name="context"/>; nothing by default.</summary>
    protected virtual void Started(DbContext context)
    {
    }

    /// <summary>The transaction committed: do what it left for after its commit. Must not throw: the commit happened.</summary>
    protected abstract void Committed(DbContext context, DbTransaction transaction);

    /// <summary>The transaction rolled back: forget what it left.</summary>
    protected abstract void RolledBack(DbContext context, DbTransaction transaction);

    public sealed override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        if (eventData.Context is { } context)
        {
            Started(context);
        }

        return result;
    }

    public sealed override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default) => ValueTask.FromResult(TransactionStarted(connection, eventData, result));

    public sealed override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            Committed(context, transaction);
        }
    }

    public sealed override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public sealed override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            RolledBack(context, transaction);
        }
    }

    public sealed override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }
}
