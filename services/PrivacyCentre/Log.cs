namespace PrivacySuite.PrivacyCentre;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "A person signed in")]
    public static partial void SignedIn(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "A sign-in code was refused")]
    public static partial void SignInRefused(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "A person signed out")]
    public static partial void SignedOut(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Service} did not answer {Method} {Route}: {Reason}")]
    public static partial void ServiceFailed(ILogger logger, string service, string method, string route, string reason);
}
