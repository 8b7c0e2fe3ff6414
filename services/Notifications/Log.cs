namespace PrivacySuite.Notifications;

/// <summary>The service's log messages: request ids and channel names, never a contact, a name or a variable's value.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery dispatcher could not reach its database ({ErrorType}); retrying")]
    public static partial void DispatcherFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery for request {RequestId} was interrupted ({ErrorType}); it is claimed again when its lease expires")]
    public static partial void DeliveryInterrupted(ILogger logger, Guid requestId, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Contacts for a subject of request {RequestId} could not be fetched (attempt {Attempt}, {ErrorType}); retrying later")]
    public static partial void ContactsUnavailable(ILogger logger, Guid requestId, int attempt, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A send for request {RequestId} on {Channel} was interrupted before its result was recorded: in doubt, not repeated on that channel")]
    public static partial void AttemptInDoubt(ILogger logger, Guid requestId, string channel);

    [LoggerMessage(Level = LogLevel.Information, Message = "A send for request {RequestId} on {Channel} did not succeed ({Outcome}); trying the next channel")]
    public static partial void ChannelFailed(ILogger logger, Guid requestId, string channel, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A delivery of request {RequestId} failed: {Reason}")]
    public static partial void DeliveryFailed(ILogger logger, Guid requestId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notice request {RequestId} ({NoticeType}) accepted for {SubjectCount} subjects")]
    public static partial void RequestAccepted(ILogger logger, Guid requestId, string noticeType, int subjectCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No SMTP session could be opened ({ErrorType}); the mail is not taken and is retried")]
    public static partial void SmtpUnavailable(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Information, Message = "A contact of a subject of request {RequestId} bounced on {Channel}: recorded against the contact, skipped by later notices")]
    public static partial void ContactBounced(ILogger logger, Guid requestId, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "On-call page {PageId} ({Kind}) raised")]
    public static partial void PageRaised(ILogger logger, Guid pageId, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "On-call page {PageId}, round {Round}: {Paged} people paged")]
    public static partial void PageRound(ILogger logger, Guid pageId, int round, int paged);

    [LoggerMessage(Level = LogLevel.Error, Message = "On-call page {PageId}, round {Round}: nobody is on the on-call rota (PrivacySuite:Notifications:OnCall), so nobody was paged")]
    public static partial void NobodyOnCall(ILogger logger, Guid pageId, int round);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {DeliveryId} delivered to endpoint {EndpointId} (attempt {Attempt})")]
    public static partial void WebhookDelivered(ILogger logger, Guid deliveryId, Guid endpointId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {DeliveryId} to endpoint {EndpointId} failed (attempt {Attempt}, {Reason}); retried later")]
    public static partial void WebhookAttemptFailed(ILogger logger, Guid deliveryId, Guid endpointId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {DeliveryId} to endpoint {EndpointId} is dead after {Attempt} attempts ({Reason}); kept, and sent again by the endpoint's redeliver route")]
    public static partial void WebhookDead(ILogger logger, Guid deliveryId, Guid endpointId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook endpoint {EndpointId} registered for {Events}")]
    public static partial void WebhookRegistered(ILogger logger, Guid endpointId, string events);
}
