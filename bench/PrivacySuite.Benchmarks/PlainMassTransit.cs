using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Benchmarks;

public sealed record PlainBenchEvent(int Sequence);

public sealed class Arrivals
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Arrived() => Interlocked.Increment(ref _count);
}

public sealed class CountPlainBenchEvent(Arrivals arrivals) : IConsumer<PlainBenchEvent>
{
    public Task Consume(ConsumeContext<PlainBenchEvent> context)
    {
        arrivals.Arrived();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The messaging baseline of several figures: plain MassTransit publish (with confirms) and consume on the same broker,
/// with the queue type and consumer concurrency the suite's services use, so only the suite's own work differs.
/// </summary>
public static class PlainMassTransit
{
    /// <summary>Publishes <paramref name="messages"/> from <paramref name="producers"/> concurrent producers; returns messages consumed per second.</summary>
    public static async Task<double> MeasureAsync(BenchContext context, string rabbit, int messages, int producers, CancellationToken cancellationToken)
    {
        var arrivals = new Arrivals();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(arrivals);
        RabbitMqAddress.TryParse(rabbit, out var address);
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter("bench-plain", includeNamespace: false));
            bus.AddConsumer<CountPlainBenchEvent>();
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbitEndpoint)
                {
                    rabbitEndpoint.SetQuorumQueue();
                }
            });
            bus.UsingRabbitMq((ctx, cfg) =>
            {
                var consumers = new ConsumerOptions();
                cfg.PrefetchCount = consumers.PrefetchCount;
                cfg.ConcurrentMessageLimit = consumers.ConcurrentMessageLimit;
                cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                });
                cfg.ConfigureEndpoints(ctx);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);

        var bus = host.Services.GetRequiredService<IBus>();
        var elapsed = await Measure.TimeAsync(async () =>
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, producers).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < messages)
                {
                    await bus.Publish(new PlainBenchEvent(i), cancellationToken);
                }
            }));
            while (arrivals.Count < messages)
            {
                await Task.Delay(10, cancellationToken);
            }
        });
        await host.StopAsync(cancellationToken);
        var rate = messages / elapsed.TotalSeconds;
        context.Progress($"plain MassTransit: {rate:0} msg/s");
        return rate;
    }
}
