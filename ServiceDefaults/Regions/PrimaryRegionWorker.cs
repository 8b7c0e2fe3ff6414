namespace PrivacySuite.ServiceDefaults.Regions;

/// <summary>
/// A background job that writes, so only the primary region runs it (a standby's database is a read-only replica): a
/// round at start-up, then one every <see cref="Interval"/>, or sooner when <see cref="WaitAsync"/> is woken. A round
/// that fails is logged with its error type only (a message could carry personal data) and runs again next time; each
/// round commits what it finished and rolls back the rest.
/// </summary>
public abstract partial class PrimaryRegionWorker(RegionRole region, ILogger logger) : BackgroundService
{
    /// <summary>The longest wait between two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One round of due work.</summary>
    protected abstract Task RunRoundAsync(CancellationToken cancellationToken);

    /// <summary>Waits for the next round; a worker with a signal overrides it to be woken early.</summary>
    protected virtual Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => Task.Delay(interval, cancellationToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                if (!region.IsStandby)
                {
                    try
                    {
                        await RunRoundAsync(stoppingToken);
                    }
                    catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                    {
                        LogRoundFailed(logger, GetType().Name, e.GetType().Name, Interval);
                    }
                }

                await WaitAsync(Interval, stoppingToken);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a round cut short rolled back and runs again after the restart.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Worker} round failed ({ErrorType}); it runs again within {Interval}")]
    private static partial void LogRoundFailed(ILogger logger, string worker, string errorType, TimeSpan interval);
}
