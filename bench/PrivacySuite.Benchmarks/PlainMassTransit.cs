using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Benchmarks;

public sealed record PlainBenchEvent(int Sequence);

/// <summary>A figure's two rounds: the warm-up (cold runtime) and the measured one, with the measured round's CPU per 1,000 messages.</summary>
public sealed record Rates(double Cold, double Warm, ProcessCpu? CpuPerThousand = null);

public sealed class Arrivals
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Arrived() => Interlocked.Increment(ref _count);

    /// <summary>
    /// One round of a messaging figure: <paramref name="produce"/> for items <paramref name="first"/> to first + count - 1
    /// from <paramref name="producers"/> concurrent producers, then until all of them have arrived; how long it took.
    /// </summary>
    public async Task<TimeSpan> RoundAsync(int first, int count, int producers, Func<int, Task> produce, Action<string>? progress, CancellationToken cancellationToken) =>
        await Measure.TimeAsync(async () =>
        {
            var next = first - 1;
            await Task.WhenAll(Enumerable.Range(0, producers).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < first + count)
                {
                    await produce(i);
                }
            }));
            var lastReport = DateTime.UtcNow;
            while (Count < first + count)
            {
                await Task.Delay(10, cancellationToken);
                if (progress is not null && DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(2))
                {
                    progress($"{Count - first:N0}/{count:N0} consumed");
                    lastReport = DateTime.UtcNow;
                }
            }
        });
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
    /// <summary>
    /// Publishes <paramref name="warmUp"/> messages, then <paramref name="messages"/> more, from <paramref name="producers"/>
    /// concurrent producers through the same host; returns both rounds' messages consumed per second. The first round is
    /// the cold figure (the runtime still compiling the path); figures compare the second, as the suite's side gets the same.
    /// </summary>
    public static async Task<Rates> MeasureAsync(BenchContext context, string rabbit, int warmUp, int messages, int producers, CancellationToken cancellationToken)
    {
        await using var bus = await PlainBus.StartAsync(rabbit, cancellationToken);
        var cold = warmUp / (await bus.RoundAsync(warmUp, producers, cancellationToken)).TotalSeconds;
        var cpu = ProcessCpu.Read();
        var rate = messages / (await bus.RoundAsync(messages, producers, cancellationToken)).TotalSeconds;
        var used = (ProcessCpu.Read() - cpu).PerThousand(messages);
        context.Progress($"plain MassTransit: {rate:0} msg/s (warm-up round {cold:0} msg/s)");
        return new Rates(cold, rate, used);
    }
}

/// <summary>A running plain MassTransit host (the baseline of <see cref="PlainMassTransit"/>), measured a round at a time.</summary>
public sealed class PlainBus : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly Arrivals _arrivals;
    private int _published;

    private PlainBus(IHost host, Arrivals arrivals)
    {
        _host = host;
        _arrivals = arrivals;
    }

    public static async Task<PlainBus> StartAsync(string rabbit, CancellationToken cancellationToken)
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
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new PlainBus(host, arrivals);
    }

    /// <summary>Publishes <paramref name="count"/> messages from <paramref name="producers"/> concurrent producers; done when all are consumed.</summary>
    public async Task<TimeSpan> RoundAsync(int count, int producers, CancellationToken cancellationToken)
    {
        var bus = _host.Services.GetRequiredService<IBus>();
        var first = _published;
        _published += count;
        return await _arrivals.RoundAsync(first, count, producers, i => bus.Publish(new PlainBenchEvent(i), cancellationToken), null, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
