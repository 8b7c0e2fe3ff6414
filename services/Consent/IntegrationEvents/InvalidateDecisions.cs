using MassTransit;

namespace PrivacySuite.Consent.IntegrationEvents;

// These consumers run on every replica's own queue and touch only memory, so they need no inbox:
// applying an invalidation twice is the same as applying it once.

/// <summary>A withdrawal makes this replica forget its decision for the pair.</summary>
public sealed class InvalidateDecisionsOnConsentWithdrawn(DecisionCache cache) : IConsumer<ConsentWithdrawn>
{
    public Task Consume(ConsumeContext<ConsentWithdrawn> context)
    {
        cache.Invalidate(context.Message.SubjectId, context.Message.Purpose);
        return Task.CompletedTask;
    }
}

/// <summary>A separate consent withdrawn changes the pair's answer (its sensitive categories).</summary>
public sealed class InvalidateDecisionsOnSensitiveConsentWithdrawn(DecisionCache cache) : IConsumer<SensitiveConsentWithdrawn>
{
    public Task Consume(ConsumeContext<SensitiveConsentWithdrawn> context)
    {
        cache.Invalidate(context.Message.SubjectId, context.Message.Purpose);
        return Task.CompletedTask;
    }
}

/// <summary>A grant replaces a cached denial.</summary>
public sealed class InvalidateDecisionsOnConsentGranted(DecisionCache cache) : IConsumer<ConsentGranted>
{
    public Task Consume(ConsumeContext<ConsentGranted> context)
    {
        cache.Invalidate(context.Message.SubjectId, context.Message.Purpose);
        return Task.CompletedTask;
    }
}

/// <summary>A cancelled account is denied everything.</summary>
public sealed class InvalidateDecisionsOnAccountCancelled(DecisionCache cache) : IConsumer<AccountCancelled>
{
    public Task Consume(ConsumeContext<AccountCancelled> context)
    {
        cache.InvalidateSubject(context.Message.SubjectId);
        return Task.CompletedTask;
    }
}

/// <summary>A new policy version changes purposes (and maybe the guardian age): reload the catalogue, then forget every decision.</summary>
public sealed class ReloadCatalogueOnPolicyVersionPublished(PurposeCatalogue catalogue, DecisionCache cache) : IConsumer<PolicyVersionPublished>
{
    public async Task Consume(ConsumeContext<PolicyVersionPublished> context)
    {
        // Reload first, clear second: a decision computed from the old catalogue is then never kept (see DecisionCache.Store).
        await catalogue.ReloadAsync(context.CancellationToken);
        cache.Clear();
    }
}

/// <summary>An erased subject is answered subject-erased from now on.</summary>
public sealed class InvalidateDecisionsOnConsentRecordsErased(DecisionCache cache) : IConsumer<ConsentRecordsErased>
{
    public Task Consume(ConsumeContext<ConsentRecordsErased> context)
    {
        cache.InvalidateSubject(context.Message.SubjectId);
        return Task.CompletedTask;
    }
}
