using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

// A removal request that still fails after MassTransit's retries goes to its consumer's error queue, where nobody is
// waiting for it. MassTransit publishes a Fault<T> for it at that moment; these consumers turn the vault's own faults
// into an answer to the requester (every subject refused and failed: nothing of the request was done, since the failed
// attempt's transaction rolled back), a log line with ids and the exception type, and a count in
// privacysuite.vault.request_failures. Retention puts the subjects back in its inventory and asks again in its next sweep.

/// <summary>
/// Answers a request of type <typeparamref name="TRequest"/> that the vault's <typeparamref name="TConsumer"/> failed on
/// for good. Only the vault's own faults count: another service's consumer of the same request failing says nothing
/// about the vault.
/// </summary>
public abstract class VaultRequestFault<TRequest, TConsumer>(VaultDbContext db, IEndpointNameFormatter endpoints, ILogger logger)
    : InboxConsumer<Fault<TRequest>, VaultDbContext>(db)
    where TRequest : class
    where TConsumer : class, IConsumer
{
    protected sealed override async Task HandleAsync(ConsumeContext<Fault<TRequest>> context)
    {
        if (context.SourceAddress?.AbsolutePath.Split('/')[^1] != endpoints.Consumer<TConsumer>())
        {
            return;
        }

        var (requestId, subjects) = await RefuseAsync(context.Message.Message, context);
        VaultService.RequestFailures.Add(1, new KeyValuePair<string, object?>("request", typeof(TRequest).Name), new KeyValuePair<string, object?>("scope", "request"));
        // The type's short name, as the vault's other log lines give it; never the exception's message, which could carry data.
        var errorType = context.Message.Exceptions.FirstOrDefault()?.ExceptionType.Split('.')[^1] ?? "unknown";
        Log.RequestFailed(logger, typeof(TRequest).Name, requestId, subjects, errorType);
    }

    /// <summary>Answers every subject of the failed request as refused and failed; returns the request's id and how many subjects it had.</summary>
    protected abstract Task<(Guid RequestId, int Subjects)> RefuseAsync(TRequest request, ConsumeContext<Fault<TRequest>> context);
}

/// <summary>A request for many subjects the vault failed on as a whole: every subject is answered refused and failed.</summary>
public sealed class RefuseOnRemovalsRequestedFault(VaultDbContext db, IEndpointNameFormatter endpoints, TimeProvider time, ILogger<RefuseOnRemovalsRequestedFault> logger)
    : VaultRequestFault<RemovalsRequested, RemoveOnRemovalsRequested>(db, endpoints, logger)
{
    protected override Task<(Guid RequestId, int Subjects)> RefuseAsync(RemovalsRequested m, ConsumeContext<Fault<RemovalsRequested>> context)
    {
        var now = time.GetUtcNow();
        List<string> subjects = [.. RemoveOnRemovalsRequested.Subjects(m).Select(s => s.SubjectId)];
        Db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, subjects, [], now, VaultService.AllRegions, subjects), now);
        return Task.FromResult((m.RequestId, subjects.Count));
    }
}

/// <summary>
/// A schedule's request the vault failed on as a whole: every subject with values due is answered refused and failed, and
/// those values are announced again, as for a refusal.
/// </summary>
public sealed class RefuseOnExpiredRemovalsRequestedFault(VaultDbContext db, VaultService vault, IEndpointNameFormatter endpoints, TimeProvider time,
    ILogger<RefuseOnExpiredRemovalsRequestedFault> logger)
    : VaultRequestFault<ExpiredRemovalsRequested, RemoveOnExpiredRemovalsRequested>(db, endpoints, logger)
{
    protected override async Task<(Guid RequestId, int Subjects)> RefuseAsync(ExpiredRemovalsRequested m, ConsumeContext<Fault<ExpiredRemovalsRequested>> context)
    {
        var due = await vault.DueValuesAsync(m.Category, m.StoredBefore, m.SubjectIds, context.CancellationToken);
        List<string> subjects = [.. due.Select(g => g.Key)];
        RemoveOnExpiredRemovalsRequested.Answer(Db, m, due, subjects, subjects, time.GetUtcNow());
        return (m.RequestId, subjects.Count);
    }
}
