using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PrivacySuite.Notifications.Tests;

/// <summary>Keeps every message the host logs, with its values, to check what must never be in a log.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join("\n", _lines);

    public ILogger CreateLogger(string categoryName) => new Recorder(_lines);

    public void Dispose()
    {
    }

    private sealed class Recorder(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{formatter(state, exception)} {exception}");
    }
}
