using System.Diagnostics.Metrics;
using PrivacySuite.Retention.Model;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;
using PrivacySuite.ServiceDefaults.Workers;

namespace PrivacySuite.Retention.Workers;

/// <summary>Wakes the worker at once when a sweep or a plan is created through the API.</summary>
public sealed class RetentionSignal : WakeUpSignal;

/// <summary>
/// The retention clock: resumes an interrupted sweep, starts scheduled ones, sends termination and transfer notices, stops collection
/// at a plan's end, and pages the on-call person about holds past review and removals the vault leaves unanswered. All state lives in the database, so a restart continues where the last process stopped.
/// </summary>
public sealed partial class RetentionWorker(
    IServiceScopeFactory scopes,
    RetentionSignal signal,
    RegionRole region,
    TimeProvider time,
    IOptions<RetentionOptions> options,
    ILogger<RetentionWorker> logger) : PrimaryRegionWorker(region, logger)
{
    private long _subjectsRemaining;
    private long _awaitingVault;
    private IDisposable[]? _gauges;

    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => signal.WaitAsync(interval, cancellationToken);

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _gauges ??=
        [
            InstanceGauge.Register("privacysuite.retention.sweep.backlog", "Subjects the running sweep has not examined yet",
                () => new Measurement<long>(Interlocked.Read(ref _subjectsRemaining))),
            InstanceGauge.Register("privacysuite.retention.awaiting_vault",
                "Sweep requests to the vault (each up to a message's worth of subjects) it has not answered yet",
                () => new Measurement<long>(Interlocked.Read(ref _awaitingVault))),
        ];
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        foreach (var gauge in _gauges ?? [])
        {
            gauge.Dispose();
        }

        base.Dispose();
    }

    /// <summary>One round of due work.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RetentionDbContext>();
        var sweeps = scope.ServiceProvider.GetRequiredService<SweepRunner>();
        var terminations = scope.ServiceProvider.GetRequiredService<TerminationNotices>();

        var collectionStopped = await terminations.RunDueAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<TransferNotices>().RunDueAsync(cancellationToken);

        var running = await sweeps.RunningAsync(cancellationToken);
        if (running is null && (collectionStopped || await ScheduledSweepDueAsync(db, cancellationToken)))
        {
            (running, _) = await sweeps.StartAsync("scheduled", "retention-worker", cancellationToken);
        }

        if (running is not null)
        {
            if (running.CursorSubject is not null)
            {
                LogResuming(logger, running.Id, running.SubjectsExamined);
            }

            await sweeps.RunToCompletionAsync(running.Id, cancellationToken);
        }

        await db.RaiseDuePagesAsync(time.GetUtcNow(), options.Value.StuckRemovalsAfter, cancellationToken);

        Interlocked.Exchange(ref _subjectsRemaining, await db.Sweeps.Where(s => s.State == Sweep.Running)
            .Select(s => s.SubjectsTotal - s.SubjectsExamined).SingleOrDefaultAsync(cancellationToken));
        Interlocked.Exchange(ref _awaitingVault, await db.SweepItems.LongCountAsync(i => i.State == SweepItemStates.Requested, cancellationToken));
    }

    private async Task<bool> ScheduledSweepDueAsync(RetentionDbContext db, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.ScheduledSweeps)
        {
            return false;
        }

        var last = await db.Sweeps.Where(s => s.Trigger == "scheduled").MaxAsync(s => (DateTimeOffset?)s.StartedAt, cancellationToken);
        return last is null || last.Value + settings.SweepInterval <= time.GetUtcNow();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming sweep {SweepId} after {Examined} subjects")]
    private static partial void LogResuming(ILogger logger, Guid sweepId, long examined);
}
