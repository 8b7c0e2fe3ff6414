using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using PrivacySuite.Incidents.Apis;

namespace PrivacySuite.Incidents.Workers;

/// <summary>
/// An incident's declaration and a change to it, rehearsed on a standby when it starts (issue 22.5), as far as a
/// read-only database lets them go: the declaration itself (refused at its save), the lock every change takes (refused),
/// a timeline entry in the warm-up's refused save, and the view every answer builds, serialised as the answer is.
/// Without it, the first note on an incident after a promotion took 3.2-4.1 s in the drill.
/// </summary>
internal sealed class IncidentRehearsal(IServiceProvider services, IncidentsDbContext db, TimeProvider time, IOptions<IncidentsOptions> options,
    IncidentResponse response, IOptions<JsonOptions> json) : IStandbyRehearsal<IncidentsDbContext>
{
    private const string Nobody = StandbyRehearsal.Nobody;

    public async Task RehearseAsync(IncidentsDbContext readOnly, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var declaring = ActivatorUtilities.CreateInstance<IncidentResponse>(services, readOnly);
        await StandbyRehearsal.RefusedAsync(readOnly, () => declaring.DeclareAsync(Nobody, IncidentType.ServiceOutage, Nobody, now, Nobody, cancellationToken),
            cancellationToken);
        await StandbyRehearsal.RefusedAsync(readOnly, () => readOnly.LockIncidentAsync(Guid.CreateVersion7(), cancellationToken), cancellationToken);

        // The declaration's rows stay added: the warm-up's save inserts them, and is refused, with a note on the incident.
        var incident = readOnly.Incidents.Local.Single();
        readOnly.Timeline.Add(new TimelineEntry { IncidentId = incident.Id, At = now, Actor = Nobody, Kind = "note", Detail = Nobody });

        // The answer, read through the scope's own context as a request's is: no row of this incident exists.
        var view = await IncidentsApi.ViewAsync(new IncidentServices(db, time, options, response), incident, cancellationToken);
        JsonSerializer.Serialize(view, json.Value.SerializerOptions);
    }
}
