using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PrivacySuite.AppHost.Hosting;

/// <summary>
/// A child process in its own session and process group (via <c>setsid</c>), so that signals reach the whole tree
/// (RabbitMQ's Erlang helpers, PostgreSQL's backends) and a terminal's Ctrl-C reaches only the AppHost, which then
/// stops its children in order.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigInt = 2;
    public const int SigStop = 19;

    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process)
    {
        _process = process;
        _process.Exited += (_, _) => _exited.TrySetResult(SafeExitCode(process));
    }

    public int Id => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    public Task<int> Exited => _exited.Task;

    /// <summary>Starts <paramref name="fileName"/> with a clean environment plus <paramref name="environment"/>; each output line goes to <paramref name="output"/>.</summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?> environment,
        Action<string> output,
        string? workingDirectory = null,
        bool inheritEnvironment = false)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (!inheritEnvironment)
        {
            // Inherited variables such as PGPASSWORD or DOTNET_* settings of the caller must not leak into children.
            var path = info.Environment["PATH"];
            var lang = info.Environment.TryGetValue("LANG", out var l) ? l : null;
            info.Environment.Clear();
            info.Environment["PATH"] = path;
            info.Environment["LANG"] = lang ?? "C.UTF-8";
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output(e.Data); };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {fileName}.");
        }

        var child = new ChildProcess(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        if (process.HasExited)
        {
            child._exited.TrySetResult(SafeExitCode(process));
        }

        return child;
    }

    /// <summary>Sends <paramref name="signal"/> to the child's whole process group.</summary>
    public void Signal(int signal)
    {
        if (!HasExited)
        {
            _ = kill(-_process.Id, signal);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to one process.</summary>
    public static void SignalProcess(int processId, int signal) => _ = kill(processId, signal);

    /// <summary>Sends <paramref name="signal"/> and waits up to <paramref name="grace"/>; then kills the group.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        Signal(signal);
        if (await Task.WhenAny(_exited.Task, Task.Delay(grace)) != _exited.Task)
        {
            Signal(SigKill);
            await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(5)));
        }

        // Members of the group can outlive the leader (helpers that ignore the signal): leave nothing behind.
        _ = kill(-_process.Id, SigKill);
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await StopAsync(SigTerm, TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    private static int SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    /// <summary>Runs a short command to completion and returns its exit code and output; throws on timeout.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var output = new System.Text.StringBuilder();
        var child = Start(fileName, arguments, environment ?? new Dictionary<string, string?>(), line =>
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }, inheritEnvironment: environment is null);
        await using var _ = child;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            var code = await child.Exited.WaitAsync(cts.Token);
            child._process.WaitForExit(); // drains the output readers
            lock (output)
            {
                return (code, output.ToString());
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in time.");
        }
    }
}
