namespace PrivacySuite.Contracts;

// Integration events: past tense, no personal data (subjects by id, data by token), versioned by adding fields only.

/// <summary>A subject agreed to a purpose under a policy version.</summary>
public sealed record ConsentGranted(
    string SubjectId,
    string Purpose,
    string PolicyVersion,
    string CollectionMethod,
    string Jurisdiction,
    DateTimeOffset GrantedAt);

/// <summary>A subject withdrew consent to a purpose; every cached decision for the pair is stale from now on.</summary>
public sealed record ConsentWithdrawn(
    string SubjectId,
    string Purpose,
    DateTimeOffset WithdrawnAt);

/// <summary>A new policy version was published; consents to the changed purposes need to be given again.</summary>
public sealed record PolicyVersionPublished(
    string PolicyId,
    string Version,
    IReadOnlyList<string> ChangedPurposes,
    DateTimeOffset PublishedAt);

/// <summary>A subject cancelled their account; retention starts the one-month clock (IWK-2.5).</summary>
public sealed record AccountCancelled(
    string SubjectId,
    DateTimeOffset CancelledAt);

/// <summary>The vault stored a value for a subject; the value itself stays in the vault.</summary>
public sealed record SubjectDataStored(
    string SubjectId,
    DataCategory Category,
    string Token,
    DateTimeOffset StoredAt);

/// <summary>Erasure of a subject's data was requested and is waiting for the vault.</summary>
public sealed record ErasureRequested(
    string SubjectId,
    string Reason,
    DateTimeOffset RequestedAt);

/// <summary>A subject's data key was destroyed in every region; the certificate id proves it.</summary>
public sealed record SubjectErased(
    string SubjectId,
    Guid DeletionCertificateId,
    DateTimeOffset ErasedAt);

/// <summary>A legal hold now protects a subject or a category from erasure (INF-2.2, INF-6.4).</summary>
public sealed record LegalHoldPlaced(
    Guid HoldId,
    string? SubjectId,
    DataCategory? Category,
    string ReasonCode,
    DateTimeOffset PlacedAt);

/// <summary>The on-call team declared a security incident.</summary>
public sealed record IncidentDeclared(
    Guid IncidentId,
    string Title,
    DateTimeOffset AwareAt,
    DateTimeOffset DeclaredAt);

/// <summary>An incident was graded I-IV (IWK-2.7).</summary>
public sealed record IncidentGraded(
    Guid IncidentId,
    string Grade,
    DateTimeOffset GradedAt);

/// <summary>The regulator report for an incident is due at <paramref name="DueAt"/> (IWK-2.10).</summary>
public sealed record RegulatorReportDue(
    Guid IncidentId,
    DateTimeOffset DueAt,
    double FractionElapsed);

/// <summary>Someone asked for a notice to be sent to a subject; the notification service resolves the contact from the vault.</summary>
public sealed record NoticeRequested(
    Guid RequestId,
    string NoticeType,
    string SubjectId,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt);

/// <summary>A notice reached the subject on a channel.</summary>
public sealed record NoticeDelivered(
    Guid RequestId,
    string SubjectId,
    string Channel,
    DateTimeOffset DeliveredAt);

/// <summary>A notice could not be delivered on any channel the subject has.</summary>
public sealed record NoticeFailed(
    Guid RequestId,
    string SubjectId,
    string Reason,
    DateTimeOffset FailedAt);

/// <summary>
/// A batch of an incident's notice campaign (INF-3.4, IWK-2.8): one notice of <paramref name="NoticeType"/> to each subject.
/// <paramref name="BatchId"/> is derived from the campaign and batch number, so a re-sent batch is recognised; a subject
/// appears in exactly one batch of a campaign. <paramref name="Variables"/> carry the five parts and the security advice
/// in zh-CN and en (keys such as <c>what_happened.zh-CN</c>), never personal data. Notifications answers each subject
/// with <see cref="NoticeDelivered"/> or <see cref="NoticeFailed"/> whose <c>RequestId</c> is <paramref name="BatchId"/>.
/// </summary>
public sealed record NoticeBatchRequested(
    Guid CampaignId,
    int BatchNumber,
    Guid BatchId,
    Guid IncidentId,
    string NoticeType,
    IReadOnlyList<string> SubjectIds,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt);

/// <summary>
/// A public bulletin about an incident is to be published (IWK-2.9): subjects could not all be reached, or too many
/// are affected to tell one by one. <paramref name="BulletinId"/> is derived from the incident, so it is published once.
/// </summary>
public sealed record BulletinRequested(
    Guid BulletinId,
    Guid IncidentId,
    string NoticeType,
    string Reason,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt);

/// <summary>A regulator report on an incident was filed (IWK-2.10): <paramref name="Kind"/> is initial, update or final.</summary>
public sealed record RegulatorReportFiled(
    Guid IncidentId,
    string Kind,
    DateTimeOffset FiledAt);

/// <summary>An incident was resolved; the final summary to the regulator is due at <paramref name="FinalSummaryDueAt"/> when one is required.</summary>
public sealed record IncidentResolved(
    Guid IncidentId,
    string Grade,
    DateTimeOffset ResolvedAt,
    DateTimeOffset? FinalSummaryDueAt);

/// <summary>
/// One notice for many subjects (everyone affected by an incident, everyone under a policy). The notification service
/// sends it in batches with progress, pause and resume; each subject gets its own NoticeDelivered or NoticeFailed.
/// </summary>
public sealed record NoticeCampaignRequested(
    Guid RequestId,
    string NoticeType,
    IReadOnlyList<string> SubjectIds,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt);

/// <summary>A legal hold ended; erasure that it blocked may go ahead once no other hold stands.</summary>
public sealed record LegalHoldReleased(
    Guid HoldId,
    DateTimeOffset ReleasedAt);
