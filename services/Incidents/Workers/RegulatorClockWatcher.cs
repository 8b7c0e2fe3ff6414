using Microsoft.Extensions.Options;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Incidents.Workers;

/// <summary>
/// Escalates when half and when nine tenths of the time to report have gone (IWK-2.10) and the first report is not filed.
/// Each milestone is claimed with a conditional update, so two replicas never escalate twice.
/// </summary>
public sealed class RegulatorClockWatcher(
    IServiceScopeFactory scopes, RegionRole region, TimeProvider time, IOptions<IncidentsOptions> options, ILogger<RegulatorClockWatcher> logger)
    : PrimaryRegionWorker(region, logger)
{
    protected override TimeSpan Interval => options.Value.WorkerInterval;

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => ScanAsync(cancellationToken);

    private async Task ScanAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IncidentsDbContext>();
        var now = time.Now();
        var pending = await db.Incidents.AsNoTracking()
            .Where(i => i.ReportRequired && i.FirstReportAt == null && i.ReportDueAt != null && i.Escalated90At == null)
            .Select(i => new { i.Id, i.AwareAt, DueAt = i.ReportDueAt!.Value, i.Escalated50At })
            .ToListAsync(ct);
        foreach (var incident in pending)
        {
            var fraction = (now - incident.AwareAt) / (incident.DueAt - incident.AwareAt);
            if (fraction >= 0.5 && incident.Escalated50At is null)
            {
                await EscalateAsync(db, incident.Id, incident.DueAt, 0.5, fraction, now, ct);
            }

            if (fraction >= 0.9)
            {
                await EscalateAsync(db, incident.Id, incident.DueAt, 0.9, fraction, now, ct);
            }
        }
    }

    private async Task EscalateAsync(IncidentsDbContext db, Guid id, DateTimeOffset dueAt, double milestone, double fraction, DateTimeOffset now, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = milestone < 0.9
            ? await db.Incidents.Where(i => i.Id == id && i.Escalated50At == null && i.FirstReportAt == null).ExecuteUpdateAsync(u => u.SetProperty(i => i.Escalated50At, now), ct)
            : await db.Incidents.Where(i => i.Id == id && i.Escalated90At == null && i.FirstReportAt == null).ExecuteUpdateAsync(u => u.SetProperty(i => i.Escalated90At, now), ct);
        if (claimed == 0)
        {
            return;
        }

        var percent = (int)(milestone * 100);
        db.AddIntegrationEvent(new RegulatorReportDue(id, dueAt, Math.Round(fraction, 4)), now);
        db.Timeline.Add(new TimelineEntry
        {
            IncidentId = id,
            At = now,
            Actor = "regulator-clock",
            Kind = $"escalated-{percent}",
            Detail = $"{percent}% of the time to report gone; regulator report due {dueAt:u}, {(dueAt - now).TotalMinutes:0} min left",
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Escalated(logger, id, dueAt, percent);
    }
}
