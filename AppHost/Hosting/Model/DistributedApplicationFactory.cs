using System.Reflection;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// Boots an AppHost through its own entry point, as Aspire.Hosting.Testing does: the AppHost's Program runs unchanged
/// with the given arguments, and the caller gets the application it builds.
/// </summary>
public static class DistributedApplicationFactory
{
    private static readonly AsyncLocal<Action<DistributedApplication>?> Observer = new();

    /// <summary>
    /// Runs <paramref name="appHost"/>'s entry point on a thread of its own; returns the application once it is built,
    /// and the entry point's task, which ends when the application has stopped.
    /// </summary>
    public static async Task<(DistributedApplication Application, Task<int> EntryPoint)> StartAsync(
        Assembly appHost, string[] args, Action<string> console, TimeSpan timeout)
    {
        var entryPoint = appHost.EntryPoint ?? throw new InvalidOperationException($"{appHost.GetName().Name} has no entry point.");
        var built = new TaskCompletionSource<DistributedApplication>(TaskCreationOptions.RunContinuationsAsynchronously);
        Observer.Value = app =>
        {
            app.Console = console;
            built.TrySetResult(app);
        };
        try
        {
            // The observer flows into the entry point's thread with the execution context.
            var running = Task.Factory.StartNew(() =>
            {
                var result = entryPoint.Invoke(null, [args]);
                return result is int code ? code : 0;
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            var first = await Task.WhenAny(built.Task, running).WaitAsync(timeout);
            if (first == running)
            {
                throw new InvalidOperationException($"The AppHost exited with code {await running} before building its application.");
            }

            return (await built.Task, running);
        }
        finally
        {
            Observer.Value = null;
        }
    }

    internal static void NotifyBuilt(DistributedApplication app) => Observer.Value?.Invoke(app);
}
