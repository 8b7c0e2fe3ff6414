using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PrivacySuite.Notifications.Channels;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Apis;

/// <summary>Publishes a public announcement from a notice template (IWK-2.9), rendered in both languages.</summary>
public sealed record PublishBulletinRequest(
    [property: Required, StringLength(64)] string NoticeType,
    IReadOnlyDictionary<string, string>? Variables);

public sealed record BulletinView(Guid BulletinId, string NoticeType, LocalizedBulletin ZhCn, LocalizedBulletin En, DateTimeOffset PublishedAt);

public sealed record LocalizedBulletin(string Title, string Body);

/// <summary>One subject's delivery of a request: where it stands, and what each channel said.</summary>
public sealed record DeliveryView(Guid RequestId, string SubjectId, string Status, string? Channel, string? Reason, IReadOnlyList<ChannelAttemptView> Attempts);

/// <summary>
/// One channel's attempt: <c>sending</c>, <c>sent</c>, <c>rejected</c>, <c>in_doubt</c> or <c>bounced</c> (the contact was
/// refused for good and is skipped by later notices).
/// </summary>
public sealed record ChannelAttemptView(string Channel, string State, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>A contact of the subject that bounced: its channel, the request whose send bounced, and when. Never the address.</summary>
public sealed record BounceView(string Channel, Guid RequestId, DateTimeOffset BouncedAt);

/// <summary>
/// A notice the subject was sent, as they read it: its type, where it stands, and its text in both languages, except
/// for a one-time code's, whose code is never kept (<see cref="Text"/> is then its subject line only, with no body).
/// </summary>
public sealed record SubjectNoticeView(Guid RequestId, string NoticeType, string Status, string? Channel, DateTimeOffset RequestedAt,
    DateTimeOffset? CompletedAt, IReadOnlyDictionary<string, NoticeText> Text);

public sealed record NoticeText(string Subject, string? Body);

/// <summary>Asks for a notice to one subject or many (a campaign), with an Idempotency-Key.</summary>
public sealed record SendNoticeRequest(
    [property: Required, StringLength(64)] string NoticeType,
    [property: Required, MinLength(1)] IReadOnlyList<string> SubjectIds,
    IReadOnlyDictionary<string, string>? Variables);

/// <summary>A request's progress: how many of its subjects were reached, failed, or are still waiting.</summary>
public sealed record NoticeRequestView(
    Guid RequestId,
    string NoticeType,
    int Total,
    int Pending,
    int Delivered,
    int Failed,
    bool Paused,
    DateTimeOffset RequestedAt);

/// <summary>Renders a template with sample variables, exactly as a subject would get it.</summary>
public sealed record PreviewRequest(
    [property: StringLength(16)] string? Language,
    IReadOnlyDictionary<string, string>? Variables);

public sealed record PreviewView(string NoticeType, string Language, string Subject, string Body);

public sealed record TemplateView(string NoticeType, string Description, IReadOnlyList<TemplateVariableView> Variables, IReadOnlyList<string> Languages);

public sealed record TemplateVariableView(string Name, string Kind, string Description);

/// <summary>A page and where its rounds stand: who was paged on which channel, and who acknowledged it.</summary>
public sealed record PageView(
    Guid PageId,
    string Kind,
    string Reference,
    string What,
    DateTimeOffset RaisedAt,
    int Rounds,
    DateTimeOffset? NextRoundAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    IReadOnlyList<PageDeliveryView> Deliveries);

/// <summary>One round's delivery to one responder (by handle): pending, delivered on a channel, or failed and why.</summary>
public sealed record PageDeliveryView(int Round, string Responder, string Status, string? Channel, string? Reason);

/// <summary>
/// An endpoint to receive some of the suite's events: an absolute https URL (http only to this machine, for development)
/// and a non-empty subset of the catalogue (<c>consent.withdrawn</c>, <c>account.cancelled</c>, <c>policy.published</c>,
/// <c>subject.erased</c>).
/// </summary>
public sealed record RegisterWebhookRequest(
    [property: Required, StringLength(Webhooks.MaxUrlLength)] string Url,
    [property: Required, MaxLength(16)] IReadOnlyList<string> Events);

/// <summary>A registered endpoint with its signing secret, which is shown this once: keep it to verify the signatures.</summary>
/// <summary>An endpoint's signing secret, answered once; after a rotation with an overlap, until when the previous one signs too.</summary>
public sealed record WebhookSecretView(Guid EndpointId, string Url, IReadOnlyList<string> Events, string Secret, DateTimeOffset CreatedAt,
    DateTimeOffset? PreviousSecretUntil = null);

/// <summary>An endpoint and its health: a failing one has consecutive failures and the last one's reason (a status code or an error type).</summary>
public sealed record WebhookView(
    Guid EndpointId,
    string Owner,
    string Url,
    IReadOnlyList<string> Events,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SecretRotatedAt,
    bool Failing,
    int ConsecutiveFailures,
    DateTimeOffset? LastDeliveredAt,
    DateTimeOffset? LastFailureAt,
    string? LastFailureReason,
    int Pending,
    int Dead);

/// <summary>How many dead deliveries were queued again.</summary>
public sealed record WebhookRedeliveryView(Guid EndpointId, int Requeued);
