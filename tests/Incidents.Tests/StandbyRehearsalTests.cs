using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Incidents.Infrastructure;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.Incidents.Tests;

/// <summary>
/// A standby rehearses a declaration and a change when it starts, so its first write after a promotion is not the first
/// time they run (issue 22.5). The rehearsal runs in a read-only transaction, which a primary refuses the same way: here,
/// on the test's primary, it must run to its end and leave no trace.
/// </summary>
public sealed class StandbyRehearsalTests(IncidentsFactory factory) : IClassFixture<IncidentsFactory>
{
    private const string Nobody = StandbyRehearsal.Nobody;

    [Fact]
    public async Task The_incident_rehearsal_runs_to_its_end_and_writes_nothing()
    {
        await StandbyRehearsals.RunTheOneAsync<IncidentsDbContext>(factory.Services);

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IncidentsDbContext>();
            Assert.False(await db.Incidents.AnyAsync(i => i.Title == Nobody));
            Assert.False(await db.Timeline.AnyAsync(t => t.Actor == Nobody));
            Assert.False(await db.InboxMessages.AnyAsync(m => m.Consumer == Nobody));
        }
    }
}
