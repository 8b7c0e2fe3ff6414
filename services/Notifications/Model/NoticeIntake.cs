using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PrivacySuite.Notifications.Model;
using PrivacySuite.ServiceDefaults.Workers;

namespace PrivacySuite.Notifications.Model;

/// <summary>A notice asked for by a caller of the suite: its type, its subjects, its variables.</summary>
public sealed record NoticeAsk(string NoticeType, IReadOnlyList<string> SubjectIds, IReadOnlyDictionary<string, string>? Variables);

/// <summary>Records a notice request and one pending delivery per subject, in the caller's unit of work.</summary>
public sealed class NoticeIntake(NotificationsDbContext db, TimeProvider time, DeliverySignal signal, IOptions<NotificationsOptions> options,
    ILogger<NoticeIntake> logger)
{
    /// <summary>
    /// A notice asked for over the API, recorded once per caller and <paramref name="idempotencyKey"/>: the same key with the
    /// same ask answers the request recorded first; with another ask it is refused (409). The variables must fit the
    /// template (422, naming them); the subjects are at most <see cref="NotificationsOptions.MaxSubjectsPerRequest"/> ids.
    /// </summary>
    public async Task<Outcome<NoticeRequest>> RequestAsync(NoticeAsk ask, string caller, string idempotencyKey, CancellationToken cancellationToken)
    {
        if (ask.SubjectIds.Count > options.Value.MaxSubjectsPerRequest)
        {
            return new Refusal(400, $"At most {options.Value.MaxSubjectsPerRequest} subjects per request; split the campaign.", Title: "Too many subjects");
        }

        var badSubjects = ask.SubjectIds.Count(id => !SubjectId.TryParse(id, out _));
        if (badSubjects > 0)
        {
            return new Refusal(400, $"{badSubjects} subject ids are not opaque ids (letters, digits, - _ . :, at most {SubjectId.MaxLength} characters).",
                Title: "Invalid subject ids");
        }

        var now = time.GetUtcNow();
        var errors = Check(ask.NoticeType, ask.Variables, now);
        if (errors.Count > 0)
        {
            return VariablesRefusal(errors);
        }

        var hash = Hash(ask);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var existing = await RecordedAsync(caller, idempotencyKey, cancellationToken);
        if (existing is not null)
        {
            return existing.BodyHash == hash
                ? existing
                : Refusal.Conflict("This Idempotency-Key was used for a different request; use a new key for a new notice.", title: "Idempotency-Key reused");
        }

        var request = new NoticeRequest
        {
            RequestId = MassTransit.NewId.NextGuid(),
            NoticeType = ask.NoticeType,
            Variables = ask.Variables?.ToDictionary() ?? [],
            Caller = caller,
            IdempotencyKey = idempotencyKey,
            BodyHash = hash,
            RequestedAt = now,
        };
        try
        {
            await AddAsync(request, ask.SubjectIds, valid: true, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return Refusal.Conflict("Another request with this Idempotency-Key is being recorded right now; retry it in a moment to get its result.",
                title: "Request in progress");
        }

        signal.Notify();
        return request;
    }

    /// <summary>The request <paramref name="caller"/> recorded under <paramref name="idempotencyKey"/>, if any.</summary>
    public Task<NoticeRequest?> RecordedAsync(string caller, string idempotencyKey, CancellationToken cancellationToken) =>
        db.NoticeRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Caller == caller && r.IdempotencyKey == idempotencyKey, cancellationToken);

    /// <summary>
    /// A notice asked for by another service's message, in the inbox claim's unit of work, keyed by its request id: a
    /// request recorded before (published twice under different message ids) adds nothing, and neither does one with no
    /// valid subject id. Variables that do not fit the template are recorded as failed deliveries, so the requester hears
    /// back (NoticeFailed); a one-time code in a request is never stored.
    /// </summary>
    public async Task QueueAsync(Guid requestId, NoticeAsk ask, DateTimeOffset requestedAt, CancellationToken cancellationToken)
    {
        if (await db.NoticeRequests.AnyAsync(r => r.RequestId == requestId, cancellationToken))
        {
            return;
        }

        var subjects = ask.SubjectIds.Where(s => SubjectId.TryParse(s, out _)).ToList();
        if (subjects.Count == 0)
        {
            return;
        }

        var valid = Check(ask.NoticeType, ask.Variables, requestedAt).Count == 0;
        await AddAsync(
            new NoticeRequest
            {
                RequestId = requestId,
                NoticeType = ask.NoticeType.Length > 64 ? ask.NoticeType[..64] : ask.NoticeType,
                Variables = NoticeTemplates.Storable(ask.NoticeType, ask.Variables),
                RequestedAt = requestedAt,
            },
            subjects,
            valid,
            cancellationToken);
        Log.RequestAccepted(logger, requestId, ask.NoticeType, subjects.Count);
        signal.Notify();
    }

    /// <summary>
    /// Pauses a request (nothing more of it is sent until it is resumed; what was sent stays sent) or resumes it, waking
    /// the dispatcher. Refused when <paramref name="caller"/> (null: anyone's) has no such request.
    /// </summary>
    public async Task<Outcome<NoticeRequest>> SetPausedAsync(Guid requestId, bool paused, string? caller, CancellationToken cancellationToken)
    {
        var requests = db.NoticeRequests.Where(r => r.RequestId == requestId);
        if (caller is not null)
        {
            requests = requests.Where(r => r.Caller == caller);
        }

        if (await requests.ExecuteUpdateAsync(u => u.SetProperty(r => r.Paused, paused), cancellationToken) == 0)
        {
            return NoSuchRequest;
        }

        if (!paused)
        {
            signal.Notify();
        }

        return await db.NoticeRequests.AsNoTracking().SingleAsync(r => r.RequestId == requestId, cancellationToken);
    }

    /// <summary>Another's request is not found either, so that its existence is not told.</summary>
    public static readonly Refusal NoSuchRequest = Refusal.NotFound("Check the request id returned when the notice was sent.", title: "No such notice request");

    /// <summary>Variables that do not fit the template: 422, naming each variable (never its value) under <c>errors</c>.</summary>
    public static Refusal VariablesRefusal(IReadOnlyDictionary<string, string[]> errors) => new(422,
        "Fix the variables named in 'errors'; GET /v1/templates lists what each notice type takes.",
        Extensions: new Dictionary<string, object?> { ["errors"] = errors }, Title: "Variables do not fit the template");

    private static string Hash(NoticeAsk ask)
    {
        var canonical = JsonSerializer.Serialize(new
        {
            t = ask.NoticeType,
            s = ask.SubjectIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal),
            v = (ask.Variables ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new[] { p.Key, p.Value }),
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

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
