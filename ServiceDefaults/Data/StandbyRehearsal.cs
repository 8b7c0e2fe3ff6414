using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// A service's own write path, rehearsed by <see cref="StandbyWarmUp{TDb}"/> when a standby starts: the generic warm-up
/// compiles the model, a query per table and a save, but not the service's crypto, its queries' shapes, the rows it
/// writes or its raw statements, and after a promotion every service of the region compiled those at the same moment
/// (the vault's first write spent 1.5 s there, issue 22.5). Resolved from the warm-up's scope, so it reads through the
/// scope's pooled context as a request does.
/// </summary>
public interface IStandbyRehearsal<in TDb>
    where TDb : ServiceDbContext
{
    /// <summary>
    /// <paramref name="readOnly"/> is in a read-only transaction: rows added to it are saved, and refused, after the
    /// rehearsal; a statement the rehearsal runs on it goes through <see cref="StandbyRehearsal.RefusedAsync"/>.
    /// </summary>
    Task RehearseAsync(TDb readOnly, CancellationToken cancellationToken);
}

public static class StandbyRehearsal
{
    /// <summary>The subject, caller or consumer a rehearsal's rows name, so that none can pass for a real one.</summary>
    public const string Nobody = "standby-warm-up";

    /// <summary>
    /// The service's rehearsals, then a save of an inbox and an outbox row with the rows they added, all in a read-only
    /// transaction through a context of its own whose refusals are logged at Debug: the update pipeline (change tracking,
    /// SQL generation, batching, the outbox's serialisation) is compiled as for a real one. Refused on a primary too,
    /// should the region be promoted meanwhile: nothing of it is ever written.
    /// </summary>
    public static async Task RunAsync<TDb>(IServiceProvider services, CancellationToken cancellationToken)
        where TDb : ServiceDbContext
    {
        var options = new DbContextOptionsBuilder<TDb>(services.GetRequiredService<DbContextOptions<TDb>>())
            .ConfigureWarnings(w => w.Log(
                (CoreEventId.SaveChangesFailed, LogLevel.Debug),
                (CoreEventId.QueryIterationFailed, LogLevel.Debug),
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.TransactionError, LogLevel.Debug)))
            .Options;
        await using var db = ActivatorUtilities.CreateInstance<TDb>(services, options);
        await using var readOnly = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("set transaction read only", cancellationToken);
        foreach (var rehearsal in services.GetServices<IStandbyRehearsal<TDb>>())
        {
            await rehearsal.RehearseAsync(db, cancellationToken);
        }

        var now = DateTimeOffset.UtcNow;
        db.InboxMessages.Add(new InboxMessage { MessageId = Guid.NewGuid(), Consumer = Nobody, ProcessedAt = now });
        db.AddIntegrationEvent(new StandbyWarmedUp(now), now);
        await RefusedAsync(db, () => db.SaveChangesAsync(cancellationToken), cancellationToken);
    }

    private sealed record StandbyWarmedUp(DateTimeOffset At);

    /// <summary>
    /// Runs a write statement on <paramref name="readOnly"/> in a savepoint, expecting PostgreSQL to refuse it (a
    /// read-only transaction), and rolls back to the savepoint so the transaction goes on. Any other failure is thrown.
    /// </summary>
    public static async Task RefusedAsync(DbContext readOnly, Func<Task> statement, CancellationToken cancellationToken)
    {
        var transaction = readOnly.Database.CurrentTransaction
            ?? throw new InvalidOperationException("A rehearsal runs inside the warm-up's read-only transaction.");
        await transaction.CreateSavepointAsync("rehearsal", cancellationToken);
        try
        {
            await statement();
        }
        catch (Exception e) when (IsReadOnlyRefusal(e))
        {
            // The refusal this was for.
        }

        await transaction.RollbackToSavepointAsync("rehearsal", cancellationToken);
    }

    internal static bool IsReadOnlyRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction })
            {
                return true;
            }
        }

        return false;
    }
}
