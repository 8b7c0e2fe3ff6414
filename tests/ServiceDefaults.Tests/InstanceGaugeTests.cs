using System.Diagnostics.Metrics;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace PrivacySuite.ServiceDefaults.Tests;

public sealed class InstanceGaugeTests
{
    [Fact]
    public void A_gauge_reports_each_live_instance_once_however_many_register()
    {
        var name = $"privacysuite.test.gauge.{Guid.NewGuid():N}";
        using var first = InstanceGauge.Register(name, "a test gauge", () => new Measurement<long>(1));
        var second = InstanceGauge.Register(name, "a test gauge", () => new Measurement<long>(2));

        Assert.Equal([1, 2], Observe(name));
        second.Dispose();
        Assert.Equal([1], Observe(name));
    }

    private static List<long> Observe(string name)
    {
        var values = new List<long>();
        var instruments = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == name)
            {
                instruments++;
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => values.Add(value));
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(1, instruments); // one instrument, not one per registration
        values.Sort();
        return values;
    }
}
