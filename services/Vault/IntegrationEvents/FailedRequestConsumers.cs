using MassTransit;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.IntegrationEvents;

// A removal request that still fails after MassTransit's retries goes to its consumer's error queue, where nobody is
// waiting for it. MassTransit publishes a Fault<T> for it at that moment; these consumers turn the vault's own faults
// into an answer to the requester (refused, reason vault-failure: nothing of the request was done, since the failed
// attempt's transaction rolled back), a log line with ids and the exception type, and a count in
// privacysuite.vault.request_failures. Retention puts the subjects back in its inventory and asks again in its next sweep.

/// <summary>The vault's own faults only: another service's consumer of the same request failing says nothing about the vault.</summary>
internal static class VaultFaults
{
    public static bool IsFrom<TConsumer>(ConsumeContext context, IEndpointNameFormatter endpoints)
        where TConsumer : class, IConsumer =>
        context.SourceAddress?.AbsolutePath.Split('/')[^1] == endpoints.Consumer<TConsumer>();

    public static void Raise<T>(ILogger logger, ConsumeContext<Fault<T>> context, Guid requestId, int subjects)
        where T : class
    {
        VaultService.RequestFailures.Add(1, new KeyValuePair<string, object?>("request", typeof(T).Name), new KeyValuePair<string, object?>("scope", "request"));
        // The type's short name, as the vault's other log lines give it; never the exception's message, which could carry data.
        var errorType = context.Message.Exceptions.FirstOrDefault()?.ExceptionType.Split('.')[^1] ?? "unknown";
        Log.RequestFailed(logger, typeof(T).Name, requestId, subjects, errorType);
    }

    public const string Reason = "vault-failure";
}

/// <summary>An erasure the vault failed on is answered <see cref="ErasureRefused"/> (vault-failure), never left in the error queue unanswered.</summary>
public sealed class RefuseOnErasureRequestedFault(VaultDbContext db, IEndpointNameFormatter endpoints, TimeProvider time, ILogger<RefuseOnErasureRequestedFault> logger)
    : InboxConsumer<Fault<ErasureRequested>, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<Fault<ErasureRequested>> context)
    {
        if (VaultFaults.IsFrom<EraseOnErasureRequested>(context, endpoints))
        {
            var m = context.Message.Message;
            var now = time.GetUtcNow();
            Db.AddIntegrationEvent(new ErasureRefused(m.SubjectId, m.SweepItemId, VaultFaults.Reason, now), now);
            VaultFaults.Raise(logger, context, m.SweepItemId ?? context.Message.FaultedMessageId ?? Guid.Empty, 1);
        }

        return Task.CompletedTask;
    }
}

/// <summary>An anonymisation the vault failed on is answered <see cref="ErasureRefused"/> (vault-failure).</summary>
public sealed class RefuseOnAnonymisationRequestedFault(VaultDbContext db, IEndpointNameFormatter endpoints, TimeProvider time, ILogger<RefuseOnAnonymisationRequestedFault> logger)
    : InboxConsumer<Fault<AnonymisationRequested>, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<Fault<AnonymisationRequested>> context)
    {
        if (VaultFaults.IsFrom<AnonymiseOnAnonymisationRequested>(context, endpoints))
        {
            var m = context.Message.Message;
            var now = time.GetUtcNow();
            Db.AddIntegrationEvent(new ErasureRefused(m.SubjectId, m.SweepItemId, VaultFaults.Reason, now), now);
            VaultFaults.Raise(logger, context, m.SweepItemId, 1);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A request for many subjects the vault failed on as a whole: every subject is answered refused and failed.</summary>
public sealed class RefuseOnRemovalsRequestedFault(VaultDbContext db, IEndpointNameFormatter endpoints, TimeProvider time, ILogger<RefuseOnRemovalsRequestedFault> logger)
    : InboxConsumer<Fault<RemovalsRequested>, VaultDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<Fault<RemovalsRequested>> context)
    {
        if (VaultFaults.IsFrom<RemoveOnRemovalsRequested>(context, endpoints))
        {
            var m = context.Message.Message;
            var now = time.GetUtcNow();
            List<string> subjects = [.. RemoveOnRemovalsRequested.Subjects(m).Select(s => s.SubjectId)];
            Db.AddIntegrationEvent(new RemovalsAnswered(m.RequestId, m.Action, m.Category, subjects, [], now, VaultService.AllRegions, subjects), now);
            VaultFaults.Raise(logger, context, m.RequestId, subjects.Count);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// A schedule's request the vault failed on as a whole: every subject with values due is answered refused and failed, and
/// those values are announced again, as for a refusal.
/// </summary>
public sealed class RefuseOnExpiredRemovalsRequestedFault(VaultDbContext db, IEndpointNameFormatter endpoints, TimeProvider time,
    ILogger<RefuseOnExpiredRemovalsRequestedFault> logger)
    : InboxConsumer<Fault<ExpiredRemovalsRequested>, VaultDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<Fault<ExpiredRemovalsRequested>> context)
    {
        if (VaultFaults.IsFrom<RemoveOnExpiredRemovalsRequested>(context, endpoints))
        {
            var m = context.Message.Message;
            var due = await RemoveOnExpiredRemovalsRequested.DueAsync(Db, m, context.CancellationToken);
            List<string> subjects = [.. due.Select(g => g.Key)];
            RemoveOnExpiredRemovalsRequested.Answer(Db, m, due, subjects, subjects, time.GetUtcNow());
            VaultFaults.Raise(logger, context, m.RequestId, subjects.Count);
        }
    }
}
