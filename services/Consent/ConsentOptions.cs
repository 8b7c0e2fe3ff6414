namespace PrivacySuite.Consent;

/// <summary>Configuration section <c>PrivacySuite:Consent</c>; the defaults work.</summary>
public sealed class ConsentOptions
{
    public const string SectionName = "PrivacySuite:Consent";

    /// <summary>Answer repeated checks from memory. Off: every check reads the database.</summary>
    public bool DecisionCacheEnabled { get; set; } = true;

    /// <summary>Backstop on how long a cached decision lives; events normally invalidate it within milliseconds.</summary>
    public TimeSpan DecisionCacheMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Fill the cache from the database when the replica starts, so that the first checks are answered from memory too.</summary>
    public bool DecisionCachePreload { get; set; } = true;

    /// <summary>Bound on cached subjects per replica; past it the cache starts again empty.</summary>
    public int DecisionCacheMaxEntries { get; set; } = 1_000_000;

    /// <summary>
    /// IWK-3.3: how long after registration a minor may go without a guardian's consent (the time the registration flow
    /// has to obtain it); a minor still without one then is reported to retention, which erases the subject.
    /// </summary>
    public TimeSpan MinorGuardianConsentGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often registrations past the grace period are looked at (real time).</summary>
    public TimeSpan MinorCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How soon a published version's announcement starts, at most (it then runs page after page until done).</summary>
    public TimeSpan AnnouncementInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Subjects per notice request of an announcement: one transaction and one event each.</summary>
    public int AnnouncementPageSize { get; set; } = 1_000;
}
