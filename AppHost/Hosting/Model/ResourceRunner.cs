namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// Drives one resource: waits for its dependencies, starts it, watches its health, restarts it with backoff when it
/// exits on its own, and obeys the operator's stop, start and restart.
/// </summary>
internal sealed class ResourceRunner(Resource resource, ProcessRecords records, Action<string> console)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);
    private readonly object _gate = new();
    private readonly CancellationTokenSource _shutdown = new();
    private CancellationTokenSource _wake = new();
    private bool _wanted = true;
    private bool _restartRequested;
    private Task _loop = Task.CompletedTask;
    private Task _health = Task.CompletedTask;

    public Resource Resource => resource;

    public void Start()
    {
        _loop = Task.Run(() => RunAsync(_shutdown.Token));
        _health = Task.Run(() => WatchHealthAsync(_shutdown.Token));
    }

    /// <summary>The operator's stop: the resource is not restarted until started again.</summary>
    public void RequestStop() => Command(wanted: false, restart: false);

    public void RequestStart() => Command(wanted: true, restart: false);

    public void RequestRestart() => Command(wanted: true, restart: true);

    /// <summary>
    /// A hard kill for drills and fencing: SIGKILL to the whole process group, no graceful stop, and no restart until
    /// started again. Marked unwanted before the signal so the exit is not taken for a crash.
    /// </summary>
    public void Kill()
    {
        CancellationTokenSource wake;
        lock (_gate)
        {
            _wanted = false;
            _restartRequested = false;
            wake = _wake;
            _wake = new CancellationTokenSource();
            if (resource.ProcessId is { } pid)
            {
                ChildProcess.KillGroup(pid);
            }
        }

        wake.Cancel();
    }

    /// <summary>Stops the resource for good (AppHost shutdown) and waits until its process group is gone.</summary>
    public async Task ShutdownAsync()
    {
        await _shutdown.CancelAsync();
        await _loop;
        await _health;
    }

    private void Command(bool wanted, bool restart)
    {
        CancellationTokenSource wake;
        lock (_gate)
        {
            _wanted = wanted;
            _restartRequested = restart;
            wake = _wake;
            _wake = new CancellationTokenSource();
        }

        wake.Cancel();
    }

    private CancellationToken WakeToken
    {
        get { lock (_gate) { return _wake.Token; } }
    }

    private bool Wanted
    {
        get { lock (_gate) { return _wanted; } }
    }

    private async Task RunAsync(CancellationToken shutdown)
    {
        var backoff = TimeSpan.Zero;
        var firstStart = true;
        try
        {
            while (!shutdown.IsCancellationRequested)
            {
                if (!Wanted)
                {
                    if (resource.State == ResourceStates.Waiting)
                    {
                        Transition(ResourceStates.NotStarted, "stopped by the operator");
                    }

                    await WaitAsync(Timeout.InfiniteTimeSpan, WakeToken, shutdown);
                    continue;
                }

                var wake = WakeToken;
                if (!await WaitForDependenciesAsync(wake, shutdown))
                {
                    continue;
                }

                // Every attempt after the first is a restart, whether it follows a crash, a failed start or the operator.
                if (!firstStart)
                {
                    resource.Restarts++;
                }

                firstStart = false;
                Transition(ResourceStates.Starting);
                try
                {
                    await resource.StartAsync(shutdown);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    resource.Log.Append($"[apphost] start failed: {e.Message}");
                    Transition(ResourceStates.FailedToStart, e is HostingException ? e.Message : e.GetType().Name + ": " + e.Message);
                    await resource.StopAsync();
                    backoff = NextBackoff(backoff);
                    await WaitAsync(backoff, wake, shutdown);
                    continue;
                }

                records.Record(resource);
                resource.ExitCode = null;
                resource.StartedAt = DateTimeOffset.UtcNow;
                Transition(ResourceStates.Running);

                var exited = resource.Exited ?? Task.FromResult(-1);
                using (var stopOrCommand = CancellationTokenSource.CreateLinkedTokenSource(wake, shutdown))
                {
                    // WhenAny never throws: a cancelled delay just completes it.
                    await Task.WhenAny(exited, Task.Delay(Timeout.Infinite, stopOrCommand.Token));
                }

                if (exited.IsCompleted && Wanted && !RestartRequested && !shutdown.IsCancellationRequested)
                {
                    // It exited on its own: restart with backoff, reset once it had run for a while.
                    resource.ExitCode = await exited;
                    await resource.StopAsync(); // leaves nothing of its process group behind
                    records.Forget(resource);
                    var ranFor = DateTimeOffset.UtcNow - resource.StartedAt.Value;
                    backoff = ranFor > StableAfter ? TimeSpan.FromSeconds(1) : NextBackoff(backoff);
                    Transition(ResourceStates.Exited, $"exited with code {resource.ExitCode}; restarting in {backoff.TotalSeconds:0} s");
                    await WaitAsync(backoff, WakeToken, shutdown);
                    continue;
                }

                Transition(ResourceStates.Stopping);
                await resource.StopAsync();
                records.Forget(resource);
                resource.ExitCode = resource.Exited is { IsCompleted: true } done ? await done : null;
                Transition(ResourceStates.Exited,
                    shutdown.IsCancellationRequested ? "stopped" : RestartRequested ? "restarting, as the operator asked" : "stopped by the operator");
                lock (_gate)
                {
                    _restartRequested = false;
                }

                backoff = TimeSpan.Zero;
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Shutdown while waiting or starting: make sure nothing that was spawned survives.
            await resource.StopAsync();
            records.Forget(resource);
            if (resource.State != ResourceStates.NotStarted)
            {
                Transition(ResourceStates.Exited, "stopped");
            }
        }
        finally
        {
            resource.Log.Close();
        }
    }

    private bool RestartRequested
    {
        get { lock (_gate) { return _restartRequested; } }
    }

    private async Task<bool> WaitForDependenciesAsync(CancellationToken wake, CancellationToken shutdown)
    {
        if (resource.WaitsFor.All(d => d.IsReady))
        {
            return true;
        }

        Transition(ResourceStates.Waiting, "waiting for " + string.Join(", ", resource.WaitsFor.Where(d => !d.IsReady)));
        while (!resource.WaitsFor.All(d => d.IsReady))
        {
            await WaitAsync(TimeSpan.FromMilliseconds(250), wake, shutdown);
            if (wake.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    private async Task WatchHealthAsync(CancellationToken shutdown)
    {
        var last = resource.Health;
        while (!shutdown.IsCancellationRequested)
        {
            var healthy = false;
            if (resource.State == ResourceStates.Running)
            {
                try
                {
                    healthy = await resource.CheckHealthAsync(shutdown);
                }
                catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    healthy = false;
                }
            }

            resource.SetHealth(healthy);
            if (resource.Health != last)
            {
                last = resource.Health;
                console($"{resource.Name}: {resource.State}, {last}");
            }

            try
            {
                // Quick while coming up (start-up is gated on it), calmer once healthy.
                await Task.Delay(healthy ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(250), shutdown);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Transition(string state, string? why = null)
    {
        resource.SetState(state);
        var line = why is null ? $"{resource.Name}: {state}" : $"{resource.Name}: {state} ({why})";
        resource.Log.Append("[apphost] " + state + (why is null ? "" : $" ({why})"));
        console(line);
    }

    private static TimeSpan NextBackoff(TimeSpan current) =>
        current == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(current.Ticks * 2, MaxBackoff.Ticks));

    /// <summary>Waits for <paramref name="delay"/>, returning early on an operator command; throws on shutdown.</summary>
    private static async Task WaitAsync(TimeSpan delay, CancellationToken wake, CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(wake, shutdown);
        try
        {
            await Task.Delay(delay, linked.Token);
        }
        catch (OperationCanceledException) when (!shutdown.IsCancellationRequested)
        {
            // An operator command: the caller re-reads what is wanted.
        }

        shutdown.ThrowIfCancellationRequested();
    }
}
