using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Workers;

namespace PrivacySuite.Notifications.Sending;

/// <summary>Records a notice request and one pending delivery per subject, in the caller's unit of work.</summary>
public sealed class NoticeIntake(NotificationsDbContext db, TimeProvider time)
{
    /// <summary>
    /// Adds the request and its deliveries (one statement for any number of subjects). When the variables do not fit the
    /// template, the deliveries are recorded as failed and NoticeFailed is raised for each subject, so the requester hears back.
    /// </summary>
    public async Task AddAsync(NoticeRequest request, IReadOnlyCollection<string> subjectIds, bool valid, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var subjects = subjectIds.Distinct(StringComparer.Ordinal).ToArray();
        request.SubjectCount = subjects.Length;
        request.Priority = NoticeRequest.PriorityFor(subjects.Length);
        request.FailedCount = valid ? 0 : subjects.Length;
        db.NoticeRequests.Add(request);
        await db.SaveChangesAsync(cancellationToken);

        var status = valid ? DeliveryStatus.Pending : DeliveryStatus.Failed;
        string? reason = valid ? null : "invalid-variables";
        DateTimeOffset? completedAt = valid ? null : now;
        await db.Database.ExecuteSqlAsync(
            $"""
            insert into deliveries (request_id, subject_id, priority, status, reason, next_attempt_at, completed_at)
            select {request.RequestId}, s, {request.Priority}, {status}, {reason}, {now}, {completedAt} from unnest({subjects}) as s
            """,
            cancellationToken);

        if (!valid)
        {
            foreach (var subject in subjects)
            {
                db.AddIntegrationEvent(new NoticeFailed(request.RequestId, subject, "invalid-variables", now), now);
            }

            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>Whether the type is known and the variables fit its template; the errors name variables, never values.</summary>
    public static Dictionary<string, string[]> Check(string noticeType, IReadOnlyDictionary<string, string>? variables, DateTimeOffset requestedAt) =>
        noticeType == NoticeTypes.OnCallPage
            // Its recipients are the on-call rota, not subjects: only the suite's own pages (OnCallPageRequested) send one.
            ? new() { ["noticeType"] = ["An on-call page is raised with the OnCallPageRequested event, not asked for as a notice."] }
            : NoticeTemplates.All.TryGetValue(noticeType, out var template)
                ? NoticeTemplates.Validate(template, variables, requestedAt)
                : new() { ["noticeType"] = [$"Unknown notice type; known types: {string.Join(", ", NoticeTemplates.All.Keys)}."] };
}

/// <summary>Wakes the dispatcher when a request was committed, instead of waiting for the next poll.</summary>
public sealed class DeliverySignal : WakeUpSignal;
