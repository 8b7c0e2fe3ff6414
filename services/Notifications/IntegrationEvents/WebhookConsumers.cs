using MassTransit;
using PrivacySuite.Notifications.Model;
using PrivacySuite.Notifications.Workers;

namespace PrivacySuite.Notifications.IntegrationEvents;

/// <summary>Queues a <c>consent.withdrawn</c> webhook for every endpoint that wants it, with the inbox claim.</summary>
public sealed class QueueWebhooksOnConsentWithdrawn(NotificationsDbContext db, Webhooks webhooks, WebhookSignal signal)
    : InboxConsumer<ConsentWithdrawn, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<ConsentWithdrawn> context) =>
        WebhookQueueing.QueueAsync(webhooks, signal, WebhookEvent.From(context.Message), context.CancellationToken);
}

/// <summary>Queues an <c>account.cancelled</c> webhook for every endpoint that wants it, with the inbox claim.</summary>
public sealed class QueueWebhooksOnAccountCancelled(NotificationsDbContext db, Webhooks webhooks, WebhookSignal signal)
    : InboxConsumer<AccountCancelled, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<AccountCancelled> context) =>
        WebhookQueueing.QueueAsync(webhooks, signal, WebhookEvent.From(context.Message), context.CancellationToken);
}

/// <summary>Queues a <c>policy.published</c> webhook for every endpoint that wants it, with the inbox claim.</summary>
public sealed class QueueWebhooksOnPolicyVersionPublished(NotificationsDbContext db, Webhooks webhooks, WebhookSignal signal)
    : InboxConsumer<PolicyVersionPublished, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<PolicyVersionPublished> context) =>
        WebhookQueueing.QueueAsync(webhooks, signal, WebhookEvent.From(context.Message), context.CancellationToken);
}

/// <summary>Queues a <c>subject.erased</c> webhook for every endpoint that wants it, with the inbox claim.</summary>
public sealed class QueueWebhooksOnSubjectErased(NotificationsDbContext db, Webhooks webhooks, WebhookSignal signal)
    : InboxConsumer<SubjectErased, NotificationsDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectErased> context) =>
        WebhookQueueing.QueueAsync(webhooks, signal, WebhookEvent.From(context.Message), context.CancellationToken);
}

internal static class WebhookQueueing
{
    public static async Task QueueAsync(Webhooks webhooks, WebhookSignal signal, WebhookEvent e, CancellationToken cancellationToken)
    {
        if (await webhooks.EnqueueAsync(e, cancellationToken) > 0)
        {
            signal.Notify();
        }
    }
}
