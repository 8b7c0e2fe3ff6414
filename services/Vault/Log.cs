namespace PrivacySuite.Vault;

/// <summary>The vault's log messages: subject ids, tokens and counts only, never a value.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Count} values of category {Category} for subject {SubjectId}")]
    public static partial void Stored(ILogger logger, int count, string category, string subjectId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read of subject {SubjectId} for purpose {Purpose} denied: {Reason}")]
    public static partial void ReadDenied(ILogger logger, string subjectId, string purpose, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent service could not answer for purpose {Purpose}; the read is denied ({ErrorType})")]
    public static partial void ConsentUnavailable(ILogger logger, string purpose, string errorType);

    [LoggerMessage(Level = LogLevel.Information, Message = "The consent service answered for purpose {Purpose} as of before a change the vault has heard of; the read is denied and the answer not kept")]
    public static partial void ConsentAnswerStale(ILogger logger, string purpose);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data key of subject {SubjectId} replaced after {NoncesUsed} encryptions (generation {Generation})")]
    public static partial void Rekeyed(ILogger logger, string subjectId, long noncesUsed, int generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Key-encryption key rotated to version {Version}; {Rewrapped} data keys re-wrapped")]
    public static partial void Rotated(ILogger logger, int version, int rewrapped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subject {SubjectId} erased by crypto-shredding, certificate {CertificateId}")]
    public static partial void Erased(ILogger logger, string subjectId, Guid certificateId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure of subject {SubjectId} blocked by {Holds} legal hold(s)")]
    public static partial void ErasureBlocked(ILogger logger, string subjectId, int holds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Access log verification failed at position {Position}: {Problem}")]
    public static partial void ChainBroken(ILogger logger, long position, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Category {Category} of subject {SubjectId} erased: {Values} values deleted, data key replaced")]
    public static partial void CategoryErased(ILogger logger, string subjectId, string category, int values);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subject {SubjectId} anonymised: {Shredded} identifying values shredded, {Rekeyed} values re-keyed under a random id")]
    public static partial void Anonymised(ILogger logger, string subjectId, int shredded, int rekeyed);

    [LoggerMessage(Level = LogLevel.Error, Message = "The access log no longer holds its anchored head (now at position {Position}): entries were removed from its end; the anchor stays, run verify-access-log")]
    public static partial void AnchorRefused(ILogger logger, long position);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} subjects stored before key files existed got their key file; their data keys are re-wrapped")]
    public static partial void KeyFilesGiven(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stale key files of subject {SubjectId} could not be deleted ({ErrorType}); its data is unreadable through the vault, and the deletion is retried")]
    public static partial void KeyFileDeletionFailed(ILogger logger, string subjectId, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Subject {SubjectId} of {RequestType} {RequestId} failed ({ErrorType}); its part was undone and answered as refused, the others went on")]
    public static partial void SubjectOfRequestFailed(ILogger logger, string subjectId, string requestType, Guid requestId, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestType} {RequestId} failed after its retries ({ErrorType}); nothing of it was done, and its {Subjects} subject(s) were answered as refused (vault-failure)")]
    public static partial void RequestFailed(ILogger logger, string requestType, Guid requestId, int subjects, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent service's purpose catalogue could not be fetched ({ErrorType}); the copy in hand is used: {HasCopy}")]
    public static partial void CatalogueUnavailable(ILogger logger, string errorType, bool hasCopy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A sign-in by {Field} sent no code: the value typed is the verified contact of more than one subject")]
    public static partial void SignInAmbiguous(ILogger logger, string field);
}
