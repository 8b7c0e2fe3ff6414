using System.Reflection;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using PrivacySuite.ServiceDefaults.Messaging;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// On a standby, runs the service's data access once at start: builds its EF Core model, queries each of its tables,
/// and saves an inbox and an outbox row in a read-only transaction, which refuses them. A standby forwards writes and skips its
/// consumers, so nothing else would: after a promotion every service of the region compiled all of it at the same
/// moment, on 2 cores, while the promoted outboxes re-published their events (the vault's first write after a failover
/// waited 2.2 s for its first statement, 4.4-5.5 s in all). A primary warms up on its first requests.
/// </summary>
internal sealed partial class StandbyWarmUp<TDb>(IServiceScopeFactory scopes, RegionRole region, ILogger<StandbyWarmUp<TDb>> logger) : BackgroundService
    where TDb : ServiceDbContext
{
    private static readonly MethodInfo QueryOne = typeof(StandbyWarmUp<TDb>).GetMethod(nameof(QueryOneAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!region.IsStandby)
        {
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TDb>();
            var tables = db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null && !e.IsOwned() && !e.HasSharedClrType).ToList();
            foreach (var table in tables)
            {
                await (Task)QueryOne.MakeGenericMethod(table.ClrType).Invoke(null, [db, stoppingToken])!;
            }

            await SaveRefusedAsync(scope.ServiceProvider, stoppingToken);
            LogWarmedUp(logger, tables.Count);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Only a head start: the first requests after a promotion warm up whatever this did not.
            LogWarmUpFailed(logger, e.GetType().Name);
        }
    }

    /// <summary>
    /// A save in a read-only transaction, refused, through a context of its own whose refusal is logged at Debug: the update pipeline
    /// (change tracking, SQL generation, batching, the outbox's serialisation) is compiled as for a real one.
    /// </summary>
    private static async Task SaveRefusedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = new DbContextOptionsBuilder<TDb>(services.GetRequiredService<DbContextOptions<TDb>>())
            .ConfigureWarnings(w => w.Log(
                (CoreEventId.SaveChangesFailed, LogLevel.Debug),
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.TransactionError, LogLevel.Debug)))
            .Options;
        await using var db = ActivatorUtilities.CreateInstance<TDb>(services, options);
        // Refused on a primary too, should the region be promoted meanwhile: nothing of the warm-up is ever written.
        await using var readOnly = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("set transaction read only", cancellationToken);
        var now = DateTimeOffset.UtcNow;
        db.InboxMessages.Add(new InboxMessage { MessageId = Guid.NewGuid(), Consumer = "standby-warm-up", ProcessedAt = now });
        db.AddIntegrationEvent(new StandbyWarmedUp(now), now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction })
        {
            // The refusal this was for.
        }
    }

    private sealed record StandbyWarmedUp(DateTimeOffset At);

    private static Task QueryOneAsync<TEntity>(TDb db, CancellationToken cancellationToken)
        where TEntity : class =>
        db.Set<TEntity>().Where(_ => false).ToListAsync(cancellationToken); // tracked, as writes read; no row, no limit without an order to warn of

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby warmed up for a promotion: its data model, a query on each of its {Tables} tables and a save")]
    private static partial void LogWarmedUp(ILogger logger, int tables);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby warm-up failed ({ErrorType}); the first requests after a promotion will be slower")]
    private static partial void LogWarmUpFailed(ILogger logger, string errorType);
}
