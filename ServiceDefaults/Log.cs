namespace PrivacySuite.ServiceDefaults;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {MigrationId}")]
    public static partial void Applied(ILogger logger, string migrationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} is a read-only replica; migrations are left to the primary")]
    public static partial void SkippedOnReplica(ILogger logger, string database);
}
