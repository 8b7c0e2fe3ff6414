using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivacySuite.ServiceDefaults.Data;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Benchmarks.Figures;

public sealed record OutboxBenchEvent(int Sequence);

public sealed class OutboxBenchDbContext(DbContextOptions<OutboxBenchDbContext> options) : ServiceDbContext(options);

public sealed class CountOutboxBenchEvent(OutboxBenchDbContext db, Arrivals arrivals) : InboxConsumer<OutboxBenchEvent, OutboxBenchDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<OutboxBenchEvent> context)
    {
        arrivals.Arrived();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The suite's reliable path (commit the event with its change, relay with confirms, consume with the inbox) against
/// plain MassTransit (publish with confirms, consume) on the same broker, same queue type, same producer concurrency.
/// </summary>
public sealed class OutboxFigure : IFigure
{
    private const int Messages = 20_000;
    private const int Producers = 32;

    public string Name => "outbox";

    public string Description =>
        $"{Messages:N0} events end to end: transactional outbox + relay + inbox consumer vs plain MassTransit publish + consume, same broker and run.";

    public async Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");

        // Baseline first, then the outbox path, then the baseline again: the mean of the two baselines
        // absorbs a warm-up or a noisy neighbour that favours either side.
        var plain1 = await PlainMassTransit.MeasureAsync(context, await infrastructure.CreateVirtualHostAsync("bench_plain"), Messages, Producers, cancellationToken);
        var outbox = await RunOutboxAsync(context, await infrastructure.CreateDatabaseAsync("bench_outbox"),
            await infrastructure.CreateVirtualHostAsync("bench_outbox"), cancellationToken);
        var plain2 = await PlainMassTransit.MeasureAsync(context, await infrastructure.CreateVirtualHostAsync("bench_plain"), Messages, Producers, cancellationToken);
        var plain = (plain1 + plain2) / 2;

        return
        [
            new FigureResult($"outbox ratio={Measure.Ratio(outbox / plain)}", new Dictionary<string, string>
            {
                ["outbox_msg_s"] = Measure.Number(outbox),
                ["plain_msg_s"] = $"{Measure.Number(plain1)} and {Measure.Number(plain2)}",
                ["messages"] = Measure.Number(Messages),
                ["producers"] = Measure.Number(Producers),
            }),
        ];
    }

    private static async Task<double> RunOutboxAsync(BenchContext context, string database, string rabbit, CancellationToken cancellationToken)
    {
        var arrivals = new Arrivals();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:benchdb"] = database,
            ["ConnectionStrings:rabbitmq"] = rabbit,
        });
        builder.Services.AddSingleton(arrivals);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddServiceDatabase<OutboxBenchDbContext>("benchdb");
        builder.AddMessaging<OutboxBenchDbContext>("bench-outbox", bus => bus.AddConsumer<CountOutboxBenchEvent>());
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);

        var scopes = host.Services.GetRequiredService<IServiceScopeFactory>();
        var elapsed = await Measure.TimeAsync(async () =>
        {
            // One committed change per event, as a request handler would make it.
            await ProduceAsync(async i =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OutboxBenchDbContext>();
                db.AddIntegrationEvent(new OutboxBenchEvent(i), DateTimeOffset.UtcNow);
                await db.SaveChangesAsync(cancellationToken);
            });
            await WaitForAsync(context, arrivals, "outbox", cancellationToken);
        });
        await host.StopAsync(cancellationToken);
        var rate = Messages / elapsed.TotalSeconds;
        context.Progress($"outbox + relay + inbox: {rate:0} msg/s");
        return rate;
    }

    private static Task ProduceAsync(Func<int, Task> produce)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, Producers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Messages)
            {
                await produce(i);
            }
        }));
    }

    private static async Task WaitForAsync(BenchContext context, Arrivals arrivals, string what, CancellationToken cancellationToken)
    {
        var lastReport = DateTime.UtcNow;
        while (arrivals.Count < Messages)
        {
            await Task.Delay(10, cancellationToken);
            if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(2))
            {
                context.Progress($"{what}: {arrivals.Count:N0}/{Messages:N0} consumed");
                lastReport = DateTime.UtcNow;
            }
        }
    }
}
