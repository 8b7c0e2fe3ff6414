namespace PrivacySuite.Notifications.Model;

/// <summary>A request to notify one subject or many (a campaign). It holds ids and template variables, never a contact.</summary>
public sealed class NoticeRequest
{
    public Guid RequestId { get; set; }

    public string NoticeType { get; set; } = "";

    public Dictionary<string, string> Variables { get; set; } = [];

    public string? Caller { get; set; }

    public string? IdempotencyKey { get; set; }

    public string? BodyHash { get; set; }

    public int SubjectCount { get; set; }

    /// <summary>Deliveries finished so far, counted in the transaction that finished them (progress without a count).</summary>
    public int DeliveredCount { get; set; }

    public int FailedCount { get; set; }

    public short Priority { get; set; }

    public bool Paused { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>Single notices (a verification code is waiting) go before campaign batches.</summary>
    public static short PriorityFor(int subjectCount) => subjectCount == 1 ? (short)0 : (short)1;
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>The notice for one subject of a request: pending until it was delivered on a channel or failed on all.</summary>
public sealed class Delivery
{
    public long Sequence { get; set; }

    public Guid RequestId { get; set; }

    public string SubjectId { get; set; } = "";

    public short Priority { get; set; }

    public string Status { get; set; } = DeliveryStatus.Pending;

    public string? Channel { get; set; }

    public string? Reason { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}

public static class AttemptState
{
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Rejected = "rejected";
    public const string InDoubt = "in_doubt";

    /// <summary>The channel refused the recipient for good: recorded in <c>contact_bounces</c> too.</summary>
    public const string Bounced = "bounced";
}

/// <summary>One (request, subject, channel): committed before the send, so the same notice never goes out twice on a channel.</summary>
public sealed class SendAttempt
{
    public Guid RequestId { get; set; }

    public string SubjectId { get; set; } = "";

    public string Channel { get; set; } = "";

    public string State { get; set; } = AttemptState.Sending;

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>A public announcement (IWK-2.9), rendered in both languages when it was published.</summary>
public sealed class Bulletin
{
    public Guid BulletinId { get; set; }

    public string NoticeType { get; set; } = "";

    public string TitleZh { get; set; } = "";

    public string BodyZh { get; set; } = "";

    public string TitleEn { get; set; } = "";

    public string BodyEn { get; set; } = "";

    public DateTimeOffset PublishedAt { get; set; }
}
