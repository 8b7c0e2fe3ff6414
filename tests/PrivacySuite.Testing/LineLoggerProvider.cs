using Microsoft.Extensions.Logging;

namespace PrivacySuite.Testing;

/// <summary>
/// Hands every line a host logs to <paramref name="write"/> as <c>{category} {level}: {message} {state} {exception}</c>,
/// and with <paramref name="scopes"/> every scope begun, so a test can read back what a service logged (that no
/// personal data or secret is ever in it) or forward a host's log to its own output.
/// </summary>
public sealed class LineLoggerProvider(Action<string> write, LogLevel minimum = LogLevel.Trace, bool scopes = false) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Line(categoryName, write, minimum, scopes);

    public void Dispose()
    {
    }

    private sealed class Line(string category, Action<string> write, LogLevel minimum, bool scopes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            if (scopes)
            {
                write($"{category} scope: {state}");
            }

            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                write($"{category} {logLevel}: {formatter(state, exception)} {state} {exception}");
            }
        }
    }
}
