using MassTransit;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.IntegrationEvents;

/// <summary>Pages the on-call person; the page's kind and reference are its key, so a page raised twice is sent once.</summary>
public sealed class PageOnCallOnOnCallPageRequested(NotificationsDbContext db, Paging paging, DeliverySignal signal)
    : InboxConsumer<OnCallPageRequested, NotificationsDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<OnCallPageRequested> context)
    {
        if (await paging.RaiseAsync(context.Message, context.CancellationToken))
        {
            signal.Notify();
        }
    }
}
