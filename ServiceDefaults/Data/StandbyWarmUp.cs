using System.Reflection;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// On a standby, runs the service's data access once at start: builds its EF Core model, queries each of its tables,
/// runs the service's own rehearsals (<see cref="IStandbyRehearsal{TDb}"/>), and saves an inbox and an outbox row with
/// the rows they added in a read-only transaction, which refuses them. A standby forwards writes and skips its
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

            await StandbyRehearsal.RunAsync<TDb>(scope.ServiceProvider, stoppingToken);
            LogWarmedUp(logger, tables.Count);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Only a head start: the first requests after a promotion warm up whatever this did not.
            LogWarmUpFailed(logger, e.GetType().Name);
        }
    }

    private static Task QueryOneAsync<TEntity>(TDb db, CancellationToken cancellationToken)
        where TEntity : class =>
        db.Set<TEntity>().Where(_ => false).ToListAsync(cancellationToken); // tracked, as writes read; no row, no limit without an order to warn of

    [LoggerMessage(Level = LogLevel.Information, Message = "Standby warmed up for a promotion: its data model, a query on each of its {Tables} tables and a save")]
    private static partial void LogWarmedUp(ILogger logger, int tables);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby warm-up failed ({ErrorType}); the first requests after a promotion will be slower")]
    private static partial void LogWarmUpFailed(ILogger logger, string errorType);
}
