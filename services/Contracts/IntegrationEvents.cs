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

/// <summary>
/// A subject withdrew their separate consent to a sensitive category for a purpose (PIPL Art. 29) and kept the purpose;
/// every cached decision for the pair is stale from now on.
/// </summary>
public sealed record SensitiveConsentWithdrawn(
    string SubjectId,
    string Purpose,
    DataCategory Category,
    DateTimeOffset WithdrawnAt);

/// <summary>A subject withdrew consent to a purpose; every cached decision for the pair is stale from now on.</summary>
public sealed record ConsentWithdrawn(
    string SubjectId,
    string Purpose,
    DateTimeOffset WithdrawnAt);

/// <summary>
/// A new policy version was published; consents to the changed purposes need to be given again, and a raised guardian
/// age may turn adults into minors. <paramref name="Sequence"/> is the version's place in the consent service's one
/// order of versions (across policies): the consent check answers with the highest it knows (<c>policyEpoch</c>), and a
/// decision made under a lower one is stale everywhere it is kept. 0 from a publisher that predates the field.
/// </summary>
public sealed record PolicyVersionPublished(
    string PolicyId,
    string Version,
    IReadOnlyList<string> ChangedPurposes,
    DateTimeOffset PublishedAt,
    long Sequence = 0);

/// <summary>A subject cancelled their account; retention starts the one-month clock (IWK-2.5).</summary>
public sealed record AccountCancelled(
    string SubjectId,
    DateTimeOffset CancelledAt);

/// <summary>
/// The consent service erased what it held about an erased subject (birth date, age band); its check answers
/// <c>subject-erased</c> from now on. Published after the vault's <see cref="SubjectErased"/> (or a whole-subject
/// erasure in <see cref="RemovalsAnswered"/>) was applied, so every consent replica forgets the subject's cached state.
/// </summary>
public sealed record ConsentRecordsErased(
    string SubjectId,
    DateTimeOffset ErasedAt);

/// <summary>The vault stored a value for a subject; the value itself stays in the vault.</summary>
public sealed record SubjectDataStored(
    string SubjectId,
    DataCategory Category,
    string Token,
    DateTimeOffset StoredAt,
    string? Purpose = null);

/// <summary>A stored value was used (read for a purpose); starts the clock of "last use" retention schedules again. The vault may coalesce these.</summary>
public sealed record SubjectDataUsed(
    string SubjectId,
    string Token,
    DateTimeOffset UsedAt);

/// <summary>The purpose a subject's data was collected for is fulfilled (e.g. a delivery completed); starts "purpose fulfilled" retention clocks.</summary>
public sealed record PurposeFulfilled(
    string SubjectId,
    string Purpose,
    DateTimeOffset FulfilledAt);

/// <summary>
/// Data was found to have been collected from a minor without verifiable guardian consent (IWK-3.3); retention erases
/// the subject in its next sweep. Published by consent when a guardian consent check fails, or recorded through retention's API.
/// </summary>
public sealed record MinorWithoutGuardianConsentDetected(
    string SubjectId,
    DateTimeOffset DetectedAt);

/// <summary>
/// A subject's data key was destroyed in every region, on the subject's own request; the certificate id proves it.
/// (Retention's sweeps are answered with <see cref="RemovalsAnswered"/>: <paramref name="Category"/> and
/// <paramref name="SweepItemId"/> are left from the one-subject protocol they replaced, and the vault no longer sets them.)
/// </summary>
public sealed record SubjectErased(
    string SubjectId,
    Guid DeletionCertificateId,
    DateTimeOffset ErasedAt,
    DataCategory? Category = null,
    Guid? SweepItemId = null,
    IReadOnlyList<Region>? Regions = null);

/// <summary>
/// One request of a retention sweep to the vault, for many subjects at once: <paramref name="Action"/> (<c>erase</c> or
/// <c>anonymise</c>) of the subjects in <paramref name="SubjectIds"/> as a whole when <paramref name="Category"/> is null,
/// otherwise of the <paramref name="Tokens"/> of that category. <paramref name="TokenSubjects"/> says whose each token is
/// (same order). The vault erases a whole subject by crypto-shredding its key; it anonymises by shredding the identifying
/// values and re-keying the rest under a random id that appears nowhere else. It answers the whole request once, with
/// <see cref="RemovalsAnswered"/>.
/// </summary>
public sealed record RemovalsRequested(
    Guid RequestId,
    string Action,
    DataCategory? Category,
    string Reason,
    IReadOnlyList<string> SubjectIds,
    IReadOnlyList<string> Tokens,
    IReadOnlyList<string> TokenSubjects,
    DateTimeOffset RequestedAt);

/// <summary>
/// One request of a retention sweep for a schedule the vault can apply itself (a category's only schedule, counted from
/// collection): <paramref name="Action"/> (<c>erase</c> or <c>anonymise</c>) of every value of <paramref name="Category"/>
/// stored before <paramref name="StoredBefore"/> of the subjects in <paramref name="SubjectIds"/>. Retention names the rule,
/// not the tokens: the vault knows which of its values it covers. The vault removes each subject's covered values as a
/// <see cref="RemovalsRequested"/> for those tokens would, answers the whole request once with <see cref="RemovalsAnswered"/>, and announces again (<see cref="SubjectDataStored"/>) the values of
/// each subject it refused, which retention took out of its inventory when it asked.
/// </summary>
public sealed record ExpiredRemovalsRequested(
    Guid RequestId,
    string Action,
    DataCategory Category,
    string Reason,
    DateTimeOffset StoredBefore,
    IReadOnlyList<string> SubjectIds,
    DateTimeOffset RequestedAt);

/// <summary>
/// The vault's answer to a <see cref="RemovalsRequested"/> or an <see cref="ExpiredRemovalsRequested"/>: every subject of
/// it was removed, except those in <paramref name="Refused"/> (a legal hold the vault knows of, or a failure: nothing of
/// theirs was removed, and the next sweep may ask again). <paramref name="Failed"/> names the refused subjects the vault
/// failed on rather than held (null from vaults before it existed). A whole-subject erasure names each subject's deletion
/// certificate in <paramref name="Certificates"/>.
/// </summary>
public sealed record RemovalsAnswered(
    Guid RequestId,
    string Action,
    DataCategory? Category,
    IReadOnlyList<string> Refused,
    IReadOnlyList<SubjectCertificate> Certificates,
    DateTimeOffset AnsweredAt,
    IReadOnlyList<Region> Regions,
    IReadOnlyList<string>? Failed = null);

/// <summary>The vault's deletion certificate for one subject it erased.</summary>
public sealed record SubjectCertificate(string SubjectId, Guid DeletionCertificateId);

/// <summary>A legal hold now protects a subject or a category from erasure (INF-2.2, INF-6.4).</summary>
public sealed record LegalHoldPlaced(
    Guid HoldId,
    string? SubjectId,
    DataCategory? Category,
    string ReasonCode,
    DateTimeOffset PlacedAt);

/// <summary>A legal hold was released; the data is erasable again once no other hold stands.</summary>
public sealed record LegalHoldReleased(
    Guid HoldId,
    DateTimeOffset ReleasedAt,
    string? SubjectId = null,
    DataCategory? Category = null);

/// <summary>The service will end at <paramref name="EndsAt"/> (IWK-2.6); collection stops then and everything is erased or anonymised.</summary>
public sealed record ServiceTerminationAnnounced(
    Guid PlanId,
    DateTimeOffset EndsAt,
    DateTimeOffset AnnouncedAt);

/// <summary>A termination plan reached its end date: no new personal data may be collected from now on.</summary>
public sealed record CollectionStopped(
    Guid PlanId,
    DateTimeOffset StoppedAt);

/// <summary>
/// A notice for everyone, published as a bulletin (not sent to one subject): a service termination (IWK-2.6) or an
/// incident whose subjects cannot all be told one by one (IWK-2.9). <paramref name="BulletinId"/> is deterministic where
/// the publisher needs it published once.
/// </summary>
public sealed record BulletinRequested(
    Guid BulletinId,
    string NoticeType,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt,
    Guid? IncidentId = null,
    string? Reason = null);

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

/// <summary>
/// Something needs a person now (issue 21.5): the notification service pages the on-call person on the rota until someone
/// acknowledges. A page is known by its kind and reference, so raising it twice pages once. The texts name references and
/// times only, never personal data.
/// </summary>
public sealed record OnCallPageRequested(
    string Kind,
    string Reference,
    string WhatZhCn,
    string WhatEn,
    DateTimeOffset RaisedAt);

/// <summary>The times in a page's texts: the minute in UTC, and in China Standard Time (UTC+8), which the on-call team reads.</summary>
public static class OnCallPageTimes
{
    private static readonly TimeSpan ChinaStandardTime = TimeSpan.FromHours(8);

    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Cst(DateTimeOffset at) => at.ToOffset(ChinaStandardTime).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What an on-call page is about; with its reference (an incident's id, a hold's id, a date) it names the page.</summary>
public static class OnCallPageKinds
{
    public const string RegulatorReportHalfway = "regulator-report-50";
    public const string RegulatorReportNinety = "regulator-report-90";
    public const string RegulatorReportOverdue = "regulator-report-overdue";
    public const string LegalHoldReviewOverdue = "legal-hold-review-overdue";
    public const string RemovalsStuck = "removals-stuck";

    public static readonly IReadOnlyList<string> All = [RegulatorReportHalfway, RegulatorReportNinety, RegulatorReportOverdue, LegalHoldReviewOverdue, RemovalsStuck];
}

/// <summary>Someone asked for a notice to be sent to a subject; the notification service resolves the contact from the vault.</summary>
public sealed record NoticeRequested(
    Guid RequestId,
    string NoticeType,
    string SubjectId,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt);

/// <summary>
/// Notices of one request reached their subjects (the delivered final state of each): what one commit of the notification service's sender finished for
/// that request (at most a few hundred subjects), in one event. A campaign of a million people brings thousands of
/// these, not a million. Each subject of a request appears in exactly one NoticesDelivered or one
/// <see cref="NoticeFailed"/>.
/// </summary>
public sealed record NoticesDelivered(
    Guid RequestId,
    IReadOnlyList<DeliveredNotice> Deliveries,
    DateTimeOffset DeliveredAt);

/// <summary>One subject of <see cref="NoticesDelivered"/>, and the channel that reached them.</summary>
public sealed record DeliveredNotice(
    string SubjectId,
    string Channel);

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
/// in a <see cref="NoticesDelivered"/> or a <see cref="NoticeFailed"/> whose <c>RequestId</c> is <paramref name="BatchId"/>.
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
/// sends it in batches with progress, pause and resume; each subject is answered in a NoticesDelivered or a NoticeFailed.
/// </summary>
public sealed record NoticeCampaignRequested(
    Guid RequestId,
    string NoticeType,
    IReadOnlyList<string> SubjectIds,
    IReadOnlyDictionary<string, string> Variables,
    DateTimeOffset RequestedAt);
