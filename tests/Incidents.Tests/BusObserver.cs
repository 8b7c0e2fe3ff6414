using System.Collections.Concurrent;
using MassTransit;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Incidents.Tests;

/// <summary>Sees what the incidents service publishes, as Notifications and the pager will: a bus of its own on the service's virtual host.</summary>
public sealed class BusObserver : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private BusObserver(IBusControl bus) => _bus = bus;

    public ConcurrentQueue<NoticeBatchRequested> Batches { get; } = new();

    public ConcurrentQueue<(Guid? MessageId, NoticeBatchRequested Batch)> BatchDeliveries { get; } = new();

    public ConcurrentQueue<BulletinRequested> Bulletins { get; } = new();

    public ConcurrentQueue<RegulatorReportDue> Escalations { get; } = new();

    public ConcurrentQueue<OnCallPageRequested> Pages { get; } = new();

    public ConcurrentQueue<IncidentResolved> Resolutions { get; } = new();

    public static async Task<BusObserver> StartAsync(string rabbitConnection, string queue)
    {
        if (!RabbitMqAddress.TryParse(rabbitConnection, out var address))
        {
            throw new InvalidOperationException("The test's RabbitMQ address does not parse.");
        }

        BusObserver? observer = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            rabbit.ReceiveEndpoint(queue, e =>
            {
                e.PrefetchCount = 50;
                e.Handler<NoticeBatchRequested>(c =>
                {
                    observer!.Batches.Enqueue(c.Message);
                    observer.BatchDeliveries.Enqueue((c.MessageId, c.Message));
                    return Task.CompletedTask;
                });
                e.Handler<BulletinRequested>(c => Enqueue(observer!.Bulletins, c.Message));
                e.Handler<RegulatorReportDue>(c => Enqueue(observer!.Escalations, c.Message));
                e.Handler<OnCallPageRequested>(c => Enqueue(observer!.Pages, c.Message));
                e.Handler<IncidentResolved>(c => Enqueue(observer!.Resolutions, c.Message));
            });
        });
        observer = new BusObserver(bus);
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return observer;
    }

    private static Task Enqueue<T>(ConcurrentQueue<T> queue, T message)
    {
        queue.Enqueue(message);
        return Task.CompletedTask;
    }

    public Task PublishAsync<T>(T message)
        where T : class => _bus.Publish(message);

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
