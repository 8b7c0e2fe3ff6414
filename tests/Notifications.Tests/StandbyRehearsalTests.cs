using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Notifications.Infrastructure;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// A standby rehearses a notice request when it starts, so its first one after a promotion is not the first time it
/// runs (issue 22.5). The rehearsal runs in a read-only transaction, which a primary refuses the same way: here, on the
/// test's primary, it must run to its end and leave no trace.
/// </summary>
public sealed class StandbyRehearsalTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    private const string Nobody = StandbyRehearsal.Nobody;

    [Fact]
    public async Task The_notice_rehearsal_runs_to_its_end_and_writes_nothing()
    {
        await StandbyRehearsals.RunTheOneAsync<NotificationsDbContext>(factory.Services);

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
            Assert.False(await db.NoticeRequests.AnyAsync(r => r.Caller == Nobody));
            Assert.False(await db.Deliveries.AnyAsync(d => d.SubjectId == Nobody));
            Assert.False(await db.InboxMessages.AnyAsync(m => m.Consumer == Nobody));
        }

        Assert.DoesNotContain(" Error:", factory.LoggedText, StringComparison.Ordinal);
    }
}
