namespace PrivacySuite.ServiceDefaults.Messaging;

/// <summary>An integration event waiting in the service's own database to be published.</summary>
public sealed class OutboxMessage
{
    public long Sequence { get; set; }

    /// <summary>Becomes the MassTransit message id, so consumers' inboxes recognise a re-send.</summary>
    public Guid MessageId { get; set; }

    public string MessageType { get; set; } = "";

    public string Payload { get; set; } = "";

    /// <summary>W3C traceparent of the request that wrote the event, so one trace spans request, relay and consumer.</summary>
    public string? TraceParent { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The exception type of the last failed attempt; never its message, which could carry data.</summary>
    public string? LastError { get; set; }

    internal static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}

/// <summary>A message a consumer has handled: the key (message id, consumer) makes handling idempotent.</summary>
public sealed class InboxMessage
{
    public Guid MessageId { get; set; }

    public string Consumer { get; set; } = "";

    public DateTimeOffset ProcessedAt { get; set; }
}
