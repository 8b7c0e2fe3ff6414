using System.Diagnostics.Metrics;

namespace PrivacySuite.ServiceDefaults.Telemetry;

/// <summary>
/// A gauge on the suite's meter that reports one measurement per live instance registered under its name. The meter is
/// static and a process may run several hosts (the tests do), so the gauge is created once per process and each
/// instance (a relay, a worker) registers its reading while it runs.
/// </summary>
public static class InstanceGauge
{
    private static readonly Lock Sync = new();
    private static readonly Dictionary<string, List<Func<Measurement<long>>>> Readings = [];

    /// <summary>Reports <paramref name="read"/> under <paramref name="name"/> until the returned registration is disposed.</summary>
    public static IDisposable Register(string name, string description, Func<Measurement<long>> read)
    {
        lock (Sync)
        {
            if (!Readings.TryGetValue(name, out var readings))
            {
                readings = [];
                Readings[name] = readings;
                SuiteTelemetry.Meter.CreateObservableGauge(name, () => Observe(readings), description: description);
            }

            readings.Add(read);
            return new Registration(readings, read);
        }
    }

    private static List<Measurement<long>> Observe(List<Func<Measurement<long>>> readings)
    {
        lock (Sync)
        {
            return readings.Select(read => read()).ToList();
        }
    }

    private sealed class Registration(List<Func<Measurement<long>>> readings, Func<Measurement<long>> read) : IDisposable
    {
        public void Dispose()
        {
            lock (Sync)
            {
                readings.Remove(read);
            }
        }
    }
}
