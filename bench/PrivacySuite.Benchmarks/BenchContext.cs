namespace PrivacySuite.Benchmarks;

/// <summary>What a figure gets: progress output and the real infrastructure (started once, on first use).</summary>
public sealed class BenchContext
{
    private readonly DateTime _started = DateTime.UtcNow;

    /// <summary>Prints a progress line on stderr, so stdout keeps only the result lines.</summary>
    public void Progress(string message) =>
        Console.Error.WriteLine($"[{(DateTime.UtcNow - _started).TotalSeconds,6:0.0}s] {message}");

    /// <summary>
    /// PostgreSQL and RabbitMQ as the tests start them, except that PostgreSQL keeps its durable defaults
    /// (fsync on): benchmarks measure what production would pay.
    /// </summary>
    public Task<SuiteInfrastructure> InfrastructureAsync()
    {
        Environment.SetEnvironmentVariable(SuiteInfrastructure.DurablePostgresVariable, "1");
        return SuiteInfrastructure.GetAsync();
    }
}
