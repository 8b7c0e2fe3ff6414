namespace PrivacySuite.Consent.Model;

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
}
