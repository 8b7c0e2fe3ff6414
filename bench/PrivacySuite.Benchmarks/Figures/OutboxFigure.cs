using System.Diagnostics.Metrics;
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

public sealed class CountOutboxBenchEvent(OutboxBenchDbContext db, Arrivals arrivals) : InboxBatchConsumer<OutboxBenchEvent, OutboxBenchDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<OutboxBenchEvent> context)
    {
        arrivals.Arrived();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The suite's reliable path (commit the event with its change, relay with confirms, consume with the inbox, in batches
/// as the suite's high-volume consumers take them) against plain MassTransit (publish with confirms, consume) on the
/// same broker, same queue type, same producer concurrency.
/// </summary>
public sealed class OutboxFigure : IFigure
{
    private const int Messages = 20_000;
    private const int Producers = 32;

    public string Name => "outbox";

    public string Description =>
        $"{Messages:N0} events end to end: transactional outbox + relay + batched inbox consumer vs plain MassTransit publish + consume, same broker and run.";

    public async Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");

        // Baseline first, then the outbox path, then the baseline again: the mean of the two baselines
        // absorbs a noisy neighbour that favours either side. Each side runs a warm-up round of as many
        // messages in the same host first, so that both are measured with the runtime's code compiled.
        var plain1 = await PlainMassTransit.MeasureAsync(context, await infrastructure.CreateVirtualHostAsync("bench_plain"), Messages, Messages, Producers, cancellationToken);
        var (outbox, counts) = await RunOutboxAsync(context, infrastructure.Postgres.ConnectionString(), await infrastructure.CreateDatabaseAsync("bench_outbox"),
            await infrastructure.CreateVirtualHostAsync("bench_outbox"), cancellationToken);
        var plain2 = await PlainMassTransit.MeasureAsync(context, await infrastructure.CreateVirtualHostAsync("bench_plain"), Messages, Messages, Producers, cancellationToken);
        var plain = (plain1.Warm + plain2.Warm) / 2;

        return
        [
            new FigureResult($"outbox ratio={Measure.Ratio(outbox.Warm / plain)}", new Dictionary<string, string>
            {
                ["outbox_msg_s"] = Measure.Number(outbox.Warm),
                ["plain_msg_s"] = $"{Measure.Number(plain1.Warm)} and {Measure.Number(plain2.Warm)}",
                ["warm_up_round_msg_s"] = $"outbox {Measure.Number(outbox.Cold)}, plain {Measure.Number(plain1.Cold)} and {Measure.Number(plain2.Cold)}",
                ["cpu_ms_per_1000"] = $"outbox {outbox.CpuPerThousand}, plain {plain1.CpuPerThousand} and {plain2.CpuPerThousand}",
                ["pg_transactions_per_event"] = Measure.Number(counts.Transactions, "0.00"),
                ["wal_flushes_per_event"] = Measure.Number(counts.WalFlushes, "0.00"),
                ["relay_batch_avg"] = Measure.Number(counts.RelayBatch),
                ["messages"] = Measure.Number(Messages),
                ["producers"] = Measure.Number(Producers),
            }),
        ];
    }

    private static async Task<(Rates Rates, Counts Counts)> RunOutboxAsync(
        BenchContext context, string admin, string database, string rabbit, CancellationToken cancellationToken)
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
        builder.AddMessaging<OutboxBenchDbContext>("bench-outbox", bus => bus.AddInboxBatchConsumer<CountOutboxBenchEvent>());
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);

        // Each relay batch adds its confirmed count once to this counter.
        long batches = 0, relayed = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "privacysuite.outbox.published")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref relayed, value);
        });
        listener.Start();

        var scopes = host.Services.GetRequiredService<IServiceScopeFactory>();
        async Task<double> RoundAsync(int first)
        {
            var elapsed = await Measure.TimeAsync(async () =>
            {
                // One committed change per event, as a request handler would make it.
                await ProduceAsync(first, async i =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<OutboxBenchDbContext>();
                    db.AddIntegrationEvent(new OutboxBenchEvent(i), DateTimeOffset.UtcNow);
                    await db.SaveChangesAsync(cancellationToken);
                });
                await WaitForAsync(context, arrivals, first + Messages, "outbox", cancellationToken);
            });
            return Messages / elapsed.TotalSeconds;
        }

        var cold = await RoundAsync(0);
        var before = await PostgresCounters.ReadAsync(admin, cancellationToken);
        var cpu = ProcessCpu.Read();
        Interlocked.Exchange(ref batches, 0);
        Interlocked.Exchange(ref relayed, 0);
        var rate = await RoundAsync(Messages);
        var used = (ProcessCpu.Read() - cpu).PerThousand(Messages);
        var after = await PostgresCounters.ReadAsync(admin, cancellationToken);
        await host.StopAsync(cancellationToken);
        context.Progress($"outbox + relay + inbox: {rate:0} msg/s (warm-up round {cold:0} msg/s)");
        var counts = new Counts(
            (after.Transactions - before.Transactions) / (double)Messages,
            (after.WalFlushes - before.WalFlushes) / (double)Messages,
            batches == 0 ? 0 : relayed / (double)batches);
        return (new Rates(cold, rate, used), counts);
    }

    private sealed record Counts(double Transactions, double WalFlushes, double RelayBatch);

    private static Task ProduceAsync(int first, Func<int, Task> produce)
    {
        var next = first - 1;
        return Task.WhenAll(Enumerable.Range(0, Producers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < first + Messages)
            {
                await produce(i);
            }
        }));
    }

    private static async Task WaitForAsync(BenchContext context, Arrivals arrivals, int total, string what, CancellationToken cancellationToken)
    {
        var lastReport = DateTime.UtcNow;
        while (arrivals.Count < total)
        {
            await Task.Delay(10, cancellationToken);
            if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(2))
            {
                context.Progress($"{what}: {arrivals.Count:N0}/{total:N0} consumed");
                lastReport = DateTime.UtcNow;
            }
        }
    }
}
