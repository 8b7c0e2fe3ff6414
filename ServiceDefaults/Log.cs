namespace PrivacySuite.ServiceDefaults;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {MigrationId}")]
    public static partial void Applied(ILogger logger, string migrationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} is a read-only replica; migrations are left to the primary")]
    public static partial void SkippedOnReplica(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Database} is a replica without this service's schema yet: waiting for the primary region to migrate it")]
    public static partial void WaitingForPrimary(ILogger logger, string database);
}
