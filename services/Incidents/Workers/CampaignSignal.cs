namespace PrivacySuite.Incidents.Workers;

/// <summary>Wakes the campaign planner when a campaign starts, so the first batch does not wait for the next interval.</summary>
public sealed class CampaignSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
