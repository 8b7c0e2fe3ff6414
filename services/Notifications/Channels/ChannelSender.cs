using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Channels;

/// <summary>What a channel said about one send. Only <see cref="Unavailable"/> is retried: the channel clearly did not take it.</summary>
public enum SendOutcome
{
    Sent,

    /// <summary>The channel refused it for good (bad address, 5xx SMTP reply, 4xx gateway answer): try the next channel.</summary>
    Rejected,

    /// <summary>
    /// The channel refused the recipient for good (an SMTP 5xx reply to RCPT: no such mailbox): the contact does not work.
    /// Recorded against the subject's contact, which later notices skip until the contact changes; try the next channel.
    /// </summary>
    Bounced,

    /// <summary>The channel did not take it and said so (refused connection, 4xx SMTP reply, 429/503): safe to retry.</summary>
    Unavailable,

    /// <summary>The channel may have taken it (timeout or broken connection mid-send): never repeated on this channel.</summary>
    InDoubt,

    /// <summary>This deployment has no gateway for the channel.</summary>
    NotConfigured,

    /// <summary>The message's <see cref="OutgoingMessage.NotAfter"/> passed before it could be sent (an expired code): not sent.</summary>
    Expired,
}

/// <summary>
/// One outgoing message. <see cref="DeduplicationKey"/> is the same for every attempt of a (request, subject, channel);
/// a message with <see cref="NotAfter"/> (a one-time code) is not sent, nor retried, from then on.
/// </summary>
public sealed record OutgoingMessage(string Address, RenderedNotice Notice, string DeduplicationKey, Guid RequestId, DateTimeOffset? NotAfter = null);

public interface IChannelSender
{
    string Channel { get; }

    Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken cancellationToken);
}
