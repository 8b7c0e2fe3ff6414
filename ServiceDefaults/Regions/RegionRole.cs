using System.Diagnostics.Metrics;
using Npgsql;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.ServiceDefaults.Regions;

/// <summary>
/// Whether this service runs in the standby region, read from its own database: a cluster in recovery is the standby
/// region's replica. Nobody tells a service its role; promoting (or rebuilding) its database changes it within a second,
/// so a failover needs no command to any service.
/// </summary>
public sealed partial class RegionRole(string connectionString, IConfiguration configuration, ILogger<RegionRole> logger) : BackgroundService
{
    /// <summary>The name under which the other region's replica of this service is reachable (services__peer__http__0).</summary>
    public const string PeerServiceName = "peer";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private int _standby = -1; // unknown until the first look
    private IDisposable? _gauge;

    /// <summary>This region's name (PrivacySuite__Region), or "local" outside the AppHost.</summary>
    public string Region { get; } = configuration["PrivacySuite:Region"] is { Length: > 0 } region ? region : "local";

    /// <summary>True while the service's database is a read-only replica: writes go to the primary region.</summary>
    public bool IsStandby => Volatile.Read(ref _standby) == 1;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Know the role before the first request arrives, so a standby never tries a local write.
        await RefreshAsync(cancellationToken);
        _gauge ??= InstanceGauge.Register("privacysuite.region.standby",
            "1 while this service's database is a read-only replica (standby region), 0 on the primary", () => new Measurement<long>(IsStandby ? 1 : 0));
        await base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _gauge?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        while (await WaitAsync(timer, stoppingToken))
        {
            await RefreshAsync(stoppingToken);
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        bool standby;
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("select pg_is_in_recovery()", connection);
            standby = (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // Unreachable (restarting, fenced, being rebuilt): keep the last known role; /health reports the outage.
            return;
        }

        var before = Interlocked.Exchange(ref _standby, standby ? 1 : 0);
        if (before == -1)
        {
            LogStarted(logger, Region, standby ? "standby" : "primary");
        }
        else if (before != (standby ? 1 : 0))
        {
            if (standby)
            {
                LogStandby(logger, Region);
            }
            else
            {
                LogPrimary(logger, Region);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Region {Region} starts as the {Role}")]
    private static partial void LogStarted(ILogger logger, string region, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {Region} is now a standby: reads are served from the local replica, writes go to the primary region")]
    private static partial void LogStandby(ILogger logger, string region);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {Region} is now the primary: its database accepts writes")]
    private static partial void LogPrimary(ILogger logger, string region);
}
