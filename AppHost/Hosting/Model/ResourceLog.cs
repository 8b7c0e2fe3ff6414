namespace PrivacySuite.AppHost.Hosting.Model;

public sealed record LogLine(long Sequence, DateTimeOffset Time, string Text);

/// <summary>
/// The last lines of a resource's console output (stdout and stderr), numbered so that a viewer can follow it, and
/// mirrored to a file in the state folder so that a crash can be read after the AppHost is gone.
/// </summary>
public sealed class ResourceLog
{
    public const int Capacity = 2000;
    private readonly LinkedList<LogLine> _lines = new();
    private readonly object _gate = new();
    private long _sequence;
    private StreamWriter? _file;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void MirrorTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        lock (_gate)
        {
            _file?.Dispose();
            _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    public void Append(string text)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            var line = new LogLine(++_sequence, DateTimeOffset.UtcNow, text);
            _lines.AddLast(line);
            if (_lines.Count > Capacity)
            {
                _lines.RemoveFirst();
            }

            try
            {
                _file?.WriteLine($"{line.Time:O} {text}");
            }
            catch (IOException)
            {
                // The mirror is a convenience; the in-memory view stays complete.
            }

            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
    }

    /// <summary>Lines after <paramref name="afterSequence"/> (all kept lines for 0).</summary>
    public IReadOnlyList<LogLine> After(long afterSequence)
    {
        lock (_gate)
        {
            return _lines.Where(l => l.Sequence > afterSequence).ToList();
        }
    }

    /// <summary>Completes when the next line arrives.</summary>
    public Task NextAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _appended.Task.WaitAsync(cancellationToken);
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }
}
