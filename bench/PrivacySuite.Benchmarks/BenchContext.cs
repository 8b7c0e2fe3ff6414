namespace PrivacySuite.Benchmarks;

/// <summary>What a figure gets: progress output and the real infrastructure (started once, on first use).</summary>
public sealed class BenchContext(int rounds)
{
    /// <summary>Rounds of a paired figure when <c>--rounds</c> is not given: enough for a median and a spread.</summary>
    public const int DefaultRounds = 5;

    private readonly DateTime _started = DateTime.UtcNow;

    /// <summary>How many rounds a paired figure runs (<c>--rounds N</c>).</summary>
    public int Rounds => rounds;

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
