using MassTransit;

namespace PrivacySuite.Consent.IntegrationEvents;

/// <summary>
/// Gives this replica a queue of its own, bound to the service's events: a fan-out, not a shared competing-consumer
/// queue, so that every replica hears every withdrawal. The queue is non-durable and deleted with the replica. The
/// decision cache is on only while the queue is ready; it goes off (and empties) the moment the endpoint faults or stops.
/// </summary>
public sealed class DecisionInvalidationEndpoint(
    IBus bus,
    DecisionCache cache,
    PurposeCatalogue catalogue,
    SubjectStateReader reader,
    IOptions<ConsentOptions> options,
    ILogger<DecisionInvalidationEndpoint> logger) : BackgroundService
{
    private DecisionCache Cache => cache;

    private PurposeCatalogue Catalogue => catalogue;

    private ILogger Logger => logger;

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// Reads every subject's state once (up to the cache's bound) under one generation: if anything changes meanwhile,
    /// the rest of the preload is dropped by <see cref="DecisionCache.Store"/> and those subjects load on their first check.
    /// </summary>
    private async Task PreloadAsync()
    {
        if (!options.Value.DecisionCacheEnabled || !options.Value.DecisionCachePreload)
        {
            return;
        }

        try
        {
            var generation = cache.Generation;
            var loaded = 0;
            await foreach (var state in reader.ReadAllAsync(options.Value.DecisionCacheMaxEntries, _stopping.Token))
            {
                if (cache.Generation != generation || !cache.Enabled)
                {
                    break;
                }

                cache.Store(state, generation);
                loaded++;
            }

            Log.DecisionCachePreloaded(logger, loaded);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // A preload is an optimisation: checks load what they need on a miss.
            Log.DecisionCachePreloadFailed(logger, e.GetType().Name);
        }
    }

    public string QueueName { get; } = $"consent-decisions-{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var observer = bus.ConnectReceiveEndpointObserver(new Observer(this));
        var handle = bus.ConnectReceiveEndpoint(QueueName, endpoint =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.Durable = false;
                rabbit.AutoDelete = true;
                rabbit.SetQueueArgument("x-queue-type", "classic");
                rabbit.PrefetchCount = 64;
            }

            endpoint.UseMessageRetry(r => r.Interval(5, TimeSpan.FromMilliseconds(100)));
            endpoint.Consumer(() => new InvalidateDecisionsOnConsentWithdrawn(cache));
            endpoint.Consumer(() => new InvalidateDecisionsOnConsentGranted(cache));
            endpoint.Consumer(() => new InvalidateDecisionsOnSensitiveConsentWithdrawn(cache));
            endpoint.Consumer(() => new InvalidateDecisionsOnAccountCancelled(cache));
            endpoint.Consumer(() => new ReloadCatalogueOnPolicyVersionPublished(catalogue, cache));
            endpoint.Consumer(() => new InvalidateDecisionsOnConsentRecordsErased(cache));
        });

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync();
            cache.Disable();
            await handle.StopAsync(CancellationToken.None);
        }
    }

    private bool IsOurs(Uri address) => address.AbsolutePath.EndsWith("/" + QueueName, StringComparison.Ordinal);

    private sealed class Observer(DecisionInvalidationEndpoint owner) : IReceiveEndpointObserver
    {
        public async Task Ready(ReceiveEndpointReady ready)
        {
            if (owner.IsOurs(ready.InputAddress))
            {
                // Whatever was published while the queue was away is lost: start from the database.
                await owner.Catalogue.ReloadAsync(CancellationToken.None);
                owner.Cache.Enable();
                Log.DecisionCacheEnabled(owner.Logger, owner.QueueName);
                _ = Task.Run(owner.PreloadAsync);
            }
        }

        public Task Stopping(ReceiveEndpointStopping stopping) => Off(stopping.InputAddress, "stopping");

        public Task Completed(ReceiveEndpointCompleted completed) => Off(completed.InputAddress, "stopped");

        public Task Faulted(ReceiveEndpointFaulted faulted) => Off(faulted.InputAddress, "faulted");

        private Task Off(Uri address, string state)
        {
            if (owner.IsOurs(address))
            {
                owner.Cache.Disable();
                Log.DecisionCacheDisabled(owner.Logger, owner.QueueName, state);
            }

            return Task.CompletedTask;
        }
    }
}
