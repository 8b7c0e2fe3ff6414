using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Workers;

/// <summary>
/// A notice request, rehearsed on a standby when it starts (issue 22.5), as far as a read-only database lets it go: the
/// template check of its variables, the look-up of its idempotency key, the request's insert with its deliveries
/// (refused) and the answer, serialised as it is. Without it, the first notice asked for after a promotion took
/// 2.1-2.8 s in the drill.
/// </summary>
internal sealed class NoticeRehearsal(IServiceProvider services, NoticeIntake intake, TimeProvider time, IOptions<JsonOptions> json)
    : IStandbyRehearsal<NotificationsDbContext>
{
    private const string Nobody = StandbyRehearsal.Nobody;

    public async Task RehearseAsync(NotificationsDbContext readOnly, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        NoticeIntake.Check(NoticeTypes.PolicyUpdate, new Dictionary<string, string>(), now);
        await intake.RecordedAsync(Nobody, Nobody, cancellationToken);

        var request = new NoticeRequest
        {
            RequestId = MassTransit.NewId.NextGuid(),
            NoticeType = NoticeTypes.PolicyUpdate,
            Caller = Nobody,
            IdempotencyKey = Nobody,
            BodyHash = Nobody,
            RequestedAt = now,
        };
        var recording = ActivatorUtilities.CreateInstance<NoticeIntake>(services, readOnly);
        await StandbyRehearsal.RefusedAsync(readOnly, () => recording.AddAsync(request, [Nobody], valid: true, cancellationToken), cancellationToken);

        JsonSerializer.Serialize(NoticesApi.View(request), json.Value.SerializerOptions);
    }
}
