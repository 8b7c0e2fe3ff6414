namespace PrivacySuite.Consent;

/// <summary>The consent service's log messages: ids and codes, never personal data.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Decision cache on: invalidation queue {Queue} is connected")]
    public static partial void DecisionCacheEnabled(ILogger logger, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Decision cache off: invalidation queue {Queue} is {State}; checks read the database")]
    public static partial void DecisionCacheDisabled(ILogger logger, string queue, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy {PolicyId} version {Version} published, {Changed} purposes changed")]
    public static partial void PolicyVersionPublished(ILogger logger, string policyId, string version, int changed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy {PolicyId} version {Version} announced: notices asked for {Subjects} subjects in {Pages} pages")]
    public static partial void PolicyVersionAnnounced(ILogger logger, string policyId, string version, int subjects, int pages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Non-consent basis {Basis} recorded for purpose {Purpose} by {Actor}")]
    public static partial void LegalBasisRecorded(ILogger logger, string basis, string purpose, string actor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Decision cache preloaded with {Count} subjects")]
    public static partial void DecisionCachePreloaded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Decision cache preload stopped ({ErrorType}); checks load subjects as they come")]
    public static partial void DecisionCachePreloadFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy {PolicyId} raised its guardian age to {GuardianAge}: {Count} subjects hold consent without a guardian's and go to retention for erasure (IWK-3.3)")]
    public static partial void MinorsWithoutGuardianConsent(ILogger logger, string policyId, int guardianAge, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} minors registered without a guardian's consent past the grace period go to retention for erasure (IWK-3.3)")]
    public static partial void MinorsWithoutAnyGuardianConsent(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The vault could not verify a guardian's code ({Error}); the grant was refused with 503 and nothing was written")]
    public static partial void GuardianVerificationUnavailable(ILogger logger, string error);
}
