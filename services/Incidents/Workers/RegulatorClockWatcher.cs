using Microsoft.Extensions.Options;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Incidents.Workers;

/// <summary>
/// Escalates when half and when nine tenths of the time to report have gone (IWK-2.10), and when the deadline passed, while
/// the first report is not filed: a timeline entry, <see cref="RegulatorReportDue"/>, and a page to the on-call person
/// (<see cref="OnCallPageRequested"/>, sent by the notification service until someone acknowledges it; marks passed
/// together page once, for the latest). Each milestone is
/// claimed with a conditional update, so two replicas never escalate twice.
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
            .Where(i => i.ReportRequired && i.FirstReportAt == null && i.ReportDueAt != null && i.EscalatedOverdueAt == null)
            .Select(i => new { i.Id, i.AwareAt, DueAt = i.ReportDueAt!.Value, i.Escalated50At, i.Escalated90At })
            .ToListAsync(ct);
        foreach (var incident in pending)
        {
            var fraction = (now - incident.AwareAt) / (incident.DueAt - incident.AwareAt);
            var crossed = new List<Milestone>();
            if (fraction >= 0.5 && incident.Escalated50At is null)
            {
                crossed.Add(Milestone.Half);
            }

            if (fraction >= 0.9 && incident.Escalated90At is null)
            {
                crossed.Add(Milestone.NineTenths);
            }

            if (fraction >= 1)
            {
                crossed.Add(Milestone.Overdue);
            }

            // Marks passed together (an incident declared late) each go on the timeline, but only the latest pages:
            // one page that says where the clock stands, not three at once.
            foreach (var milestone in crossed)
            {
                await EscalateAsync(db, incident.Id, incident.DueAt, milestone, fraction, now, page: milestone == crossed[^1], ct);
            }
        }
    }

    private enum Milestone
    {
        Half,
        NineTenths,
        Overdue,
    }

    private async Task EscalateAsync(IncidentsDbContext db, Guid id, DateTimeOffset dueAt, Milestone milestone, double fraction, DateTimeOffset now, bool page,
        CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var unreported = db.Incidents.Where(i => i.Id == id && i.FirstReportAt == null);
        var claimed = milestone switch
        {
            Milestone.Half => await unreported.Where(i => i.Escalated50At == null).ExecuteUpdateAsync(u => u.SetProperty(i => i.Escalated50At, now), ct),
            Milestone.NineTenths => await unreported.Where(i => i.Escalated90At == null).ExecuteUpdateAsync(u => u.SetProperty(i => i.Escalated90At, now), ct),
            _ => await unreported.Where(i => i.EscalatedOverdueAt == null).ExecuteUpdateAsync(u => u.SetProperty(i => i.EscalatedOverdueAt, now), ct),
        };
        if (claimed == 0)
        {
            return;
        }

        var (kind, timelineKind) = milestone switch
        {
            Milestone.Half => (OnCallPageKinds.RegulatorReportHalfway, "escalated-50"),
            Milestone.NineTenths => (OnCallPageKinds.RegulatorReportNinety, "escalated-90"),
            _ => (OnCallPageKinds.RegulatorReportOverdue, "escalated-overdue"),
        };
        var percent = milestone switch { Milestone.Half => 50, Milestone.NineTenths => 90, _ => 100 };
        var due = OnCallPageTimes.Utc(dueAt);
        var dueCst = OnCallPageTimes.Cst(dueAt);
        var (zh, en) = milestone == Milestone.Overdue
            ? ($"事件 {id} 的监管报告已逾期：截止时间为北京时间 {dueCst}，至今未提交。",
               $"Incident {id}: the regulator report is overdue. It was due {due} ({dueCst} CST) and none is filed.")
            : ($"事件 {id} 的监管报告时限已过 {percent}%：须于北京时间 {dueCst} 前提交。",
               $"Incident {id}: {percent}% of the time to report to the regulator is gone. The report is due {due} ({dueCst} CST).");
        db.AddIntegrationEvent(new RegulatorReportDue(id, dueAt, Math.Round(fraction, 4)), now);
        if (page)
        {
            db.AddIntegrationEvent(new OnCallPageRequested(kind, id.ToString(), zh, en, now), now);
        }

        db.Timeline.Add(new TimelineEntry
        {
            IncidentId = id,
            At = now,
            Actor = "regulator-clock",
            Kind = timelineKind,
            Detail = milestone == Milestone.Overdue
                ? $"The regulator report is overdue: it was due {dueAt:u}" + (page ? "; the on-call person is paged" : "")
                : $"{percent}% of the time to report gone; regulator report due {dueAt:u}, {(dueAt - now).TotalMinutes:0} min left" + (page ? "; the on-call person is paged" : ""),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log.Escalated(logger, id, dueAt, percent);
    }
}
