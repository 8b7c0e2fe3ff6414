namespace PrivacySuite.Incidents.Model;

public static class ClockExtensions
{
    /// <summary>Now, at PostgreSQL's microsecond precision, so what an answer shows equals what is stored.</summary>
    public static DateTimeOffset Now(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
