namespace PrivacySuite.Operations;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Sign-in refused for {Client}: wrong password")]
    public static partial void LoginRefused(ILogger logger, string client);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sign-in throttled for {Client} for {Seconds} s")]
    public static partial void LoginThrottled(ILogger logger, string client, int seconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Operator signed in from {Client}")]
    public static partial void SignedIn(ILogger logger, string client);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Source} did not answer: {Reason}")]
    public static partial void SourceFailed(ILogger logger, string source, string reason);
}
