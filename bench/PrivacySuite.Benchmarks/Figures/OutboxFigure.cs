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
/// same broker, same queue type, same producer concurrency, in alternating rounds. CPU per event counts this process,
/// PostgreSQL and RabbitMQ.
/// </summary>
public sealed class OutboxFigure : PairedFigure
{
    private const int Messages = 10_000;
    private const int Producers = 32;

    public override string Name => "outbox";

    public override string Description =>
        $"{Messages:N0} events a round end to end: transactional outbox + relay + batched inbox consumer vs plain MassTransit publish + consume, same broker, in alternating rounds.";

    protected override string Goal => ">= 0.5 (issue 22.3)";

    protected override async Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");
        var admin = infrastructure.Postgres.ConnectionString();
        var outbox = await OutboxHost.StartAsync(await infrastructure.CreateDatabaseAsync("bench_outbox"), await infrastructure.CreateVirtualHostAsync("bench_outbox"), cancellationToken);
        var plain = await PlainBus.StartAsync(await infrastructure.CreateVirtualHostAsync("bench_plain"), cancellationToken);

        // A warm-up round each, so the rounds compare the runtime with its code compiled, as a service that runs for hours.
        await outbox.RoundAsync(Messages, context, cancellationToken);
        await plain.RoundAsync(Messages, Producers, cancellationToken);
        context.Progress("warmed up (a round each)");

        return new Pair(
            "outbox", ct => MeasureAsync(admin, async () => await outbox.RoundAsync(Messages, context, ct), outbox.RelayBatches, ct),
            "plain", ct => MeasureAsync(admin, () => plain.RoundAsync(Messages, Producers, ct), null, ct),
            outbox, plain);
    }

    /// <summary>One round of one side: events per second, CPU per event (this process, PostgreSQL, RabbitMQ), PostgreSQL's transactions and WAL flushes per event.</summary>
    private static async Task<Side> MeasureAsync(string admin, Func<Task<TimeSpan>> round, RelayBatches? batches, CancellationToken cancellationToken)
    {
        var counters = await PostgresCounters.ReadAsync(admin, cancellationToken);
        batches?.Reset();
        var cpu = ProcessCpu.Read();
        var elapsed = await round();
        var used = ProcessCpu.Read() - cpu;
        var after = await PostgresCounters.ReadAsync(admin, cancellationToken);
        var also = new Dictionary<string, double>
        {
            ["dotnet_cpu_us_per_op"] = used.DotnetMs * 1000 / Messages,
            ["postgres_cpu_us_per_op"] = used.PostgresMs * 1000 / Messages,
            ["rabbitmq_cpu_us_per_op"] = used.RabbitMqMs * 1000 / Messages,
            ["transactions_per_op"] = (after.Transactions - counters.Transactions) / (double)Messages,
            ["wal_flushes_per_op"] = (after.WalFlushes - counters.WalFlushes) / (double)Messages,
        };
        if (batches is not null)
        {
            also["relay_batch_avg"] = batches.Average;
        }

        return new Side(Messages / elapsed.TotalSeconds, used.TotalMs * 1000 / Messages, Also: also);
    }

    /// <summary>The relay's confirmed batches since the last reset (from its <c>privacysuite.outbox.published</c> counter).</summary>
    private sealed class RelayBatches : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _batches;
        private long _relayed;

        public RelayBatches()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "privacysuite.outbox.published")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
            {
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _relayed, value);
            });
            _listener.Start();
        }

        public double Average => Interlocked.Read(ref _batches) is var b and > 0 ? Interlocked.Read(ref _relayed) / (double)b : 0;

        public void Reset()
        {
            Interlocked.Exchange(ref _batches, 0);
            Interlocked.Exchange(ref _relayed, 0);
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A host with the suite's outbox, relay and batched inbox consumer, producing one committed change per event.</summary>
    private sealed class OutboxHost : IAsyncDisposable
    {
        private readonly IHost _host;
        private readonly Arrivals _arrivals;
        private int _produced;

        private OutboxHost(IHost host, Arrivals arrivals)
        {
            _host = host;
            _arrivals = arrivals;
        }

        public RelayBatches RelayBatches { get; } = new();

        public static async Task<OutboxHost> StartAsync(string database, string rabbit, CancellationToken cancellationToken)
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
            var host = builder.Build();
            await host.StartAsync(cancellationToken);
            return new OutboxHost(host, arrivals);
        }

        /// <summary>Commits <paramref name="count"/> events, one change each as a request handler would, from <see cref="Producers"/> producers; done when all are consumed.</summary>
        public async Task<TimeSpan> RoundAsync(int count, BenchContext context, CancellationToken cancellationToken)
        {
            var scopes = _host.Services.GetRequiredService<IServiceScopeFactory>();
            var first = _produced;
            _produced += count;
            return await _arrivals.RoundAsync(first, count, Producers, async i =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OutboxBenchDbContext>();
                db.AddIntegrationEvent(new OutboxBenchEvent(i), DateTimeOffset.UtcNow);
                await db.SaveChangesAsync(cancellationToken);
            }, line => context.Progress($"outbox: {line}"), cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
            RelayBatches.Dispose();
        }
    }
}
