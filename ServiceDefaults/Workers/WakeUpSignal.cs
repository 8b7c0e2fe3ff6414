namespace PrivacySuite.ServiceDefaults.Workers;

/// <summary>
/// Wakes a worker at once when there is new work (a commit, a request), instead of at its next poll. However often it
/// is notified before the worker waits again, it wakes the worker once. Each worker has a subclass of its own, so the
/// container tells them apart.
/// </summary>
public abstract class WakeUpSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Notified by another thread meanwhile: one wake-up is enough.
            }
        }
    }

    /// <summary>Waits until notified (true) or until <paramref name="timeout"/> passed (false).</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
