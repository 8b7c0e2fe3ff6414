namespace PrivacySuite.Contracts;

/// <summary>The suite's services, by the name each uses for its queues, its database role and its broker user.</summary>
public static class SuiteServices
{
    public const string Consent = "consent";
    public const string Vault = "vault";
    public const string Retention = "retention";
    public const string Incidents = "incidents";
    public const string Notifications = "notifications";

    public static readonly IReadOnlyList<string> All = [Consent, Vault, Retention, Incidents, Notifications];

    /// <summary>The services the privacy centre calls (the AppHost references them, the centre makes a client for each).</summary>
    public static readonly IReadOnlyList<string> CalledByPrivacyCentre = [Consent, Vault, Retention, Notifications];
}

/// <summary>
/// Which services publish an event and which consume it. <c>Publishers</c> is empty for an event no service of the
/// suite publishes (an input kept for callers outside it).
/// </summary>
public sealed record EventRoute(Type Event, IReadOnlyList<string> Publishers, IReadOnlyList<string> Consumers)
{
    /// <summary>The exchange MassTransit publishes the event to (its message type name).</summary>
    public string Exchange => $"{Event.Namespace}:{Event.Name}";

    /// <summary>The exchange a consumer that gave up on the event publishes its fault to.</summary>
    public string FaultExchange => $"MassTransit:Fault--{Exchange}--";
}

/// <summary>
/// Who may publish and who consumes each event: each service's broker user may write only to the exchanges of the events
/// it publishes here, so a service cannot forge another's events (docs/security.md). A service that starts publishing
/// or consuming an event is added here first; otherwise the broker refuses it (publishes stay in its outbox, a consumer's
/// bus does not start).
/// </summary>
public static class EventRoutes
{
    private const string Consent = SuiteServices.Consent;
    private const string Vault = SuiteServices.Vault;
    private const string Retention = SuiteServices.Retention;
    private const string Incidents = SuiteServices.Incidents;
    private const string Notifications = SuiteServices.Notifications;

    public static readonly IReadOnlyList<EventRoute> All =
    [
        Route<ConsentGranted>([Consent], [Consent, Vault]),
        Route<ConsentWithdrawn>([Consent], [Consent, Vault, Notifications]),
        Route<SensitiveConsentWithdrawn>([Consent], [Consent, Vault]),
        Route<PolicyVersionPublished>([Consent], [Consent, Vault, Notifications]),
        Route<AccountCancelled>([Consent], [Consent, Vault, Retention, Notifications]),
        Route<ConsentRecordsErased>([Consent], [Consent]),
        Route<MinorWithoutGuardianConsentDetected>([Consent], [Retention]),

        Route<SubjectDataStored>([Vault], [Retention]),
        Route<SubjectDataUsed>([Vault], [Retention]),
        Route<SubjectErased>([Vault], [Consent, Retention, Notifications]),
        Route<RemovalsAnswered>([Vault], [Consent, Retention]),

        Route<RemovalsRequested>([Retention], [Vault]),
        Route<ExpiredRemovalsRequested>([Retention], [Vault]),
        Route<LegalHoldPlaced>([Retention], [Vault]),
        Route<LegalHoldReleased>([Retention], [Vault]),
        Route<ServiceTerminationAnnounced>([Retention], []),
        Route<CollectionStopped>([Retention], []),

        Route<IncidentDeclared>([Incidents], []),
        Route<IncidentGraded>([Incidents], []),
        Route<RegulatorReportDue>([Incidents], []),
        Route<RegulatorReportFiled>([Incidents], []),
        Route<IncidentResolved>([Incidents], []),
        Route<NoticeBatchRequested>([Incidents], [Notifications]),

        Route<NoticeRequested>([Vault, Retention], [Notifications]),
        Route<BulletinRequested>([Retention, Incidents], [Notifications]),
        Route<NoticesDelivered>([Notifications], [Incidents]),
        Route<OnCallPageRequested>([Incidents, Retention], [Notifications]),
        Route<NoticeFailed>([Notifications], [Incidents]),

        // Inputs no service of the suite publishes: fulfilment (retention's API records it too), and campaigns (incidents sends batches).
        Route<PurposeFulfilled>([], [Retention]),
        Route<NoticeCampaignRequested>([Consent], [Notifications]),
    ];

    public static IEnumerable<EventRoute> PublishedBy(string service) => All.Where(r => r.Publishers.Contains(service));

    public static IEnumerable<EventRoute> ConsumedBy(string service) => All.Where(r => r.Consumers.Contains(service));

    private static EventRoute Route<TEvent>(IReadOnlyList<string> publishers, IReadOnlyList<string> consumers) =>
        new(typeof(TEvent), publishers, consumers);
}
