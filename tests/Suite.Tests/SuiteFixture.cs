using PrivacySuite.FailoverDrill;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PrivacySuite.Suite.Tests;

/// <summary>
/// The whole topology, booted once per test class through the real AppHost (Aspire.Hosting.Testing), with every port
/// chosen free and the state in a temporary folder.
/// </summary>
public sealed class SuiteFixture : IAsyncLifetime
{
    private static int _counter;

    public RunningSuite Suite { get; private set; } = null!;

    public string StateDir { get; } = NewStateDir();

    public async Task InitializeAsync() => Suite = await RunningSuite.StartAsync(StateDir, TimeSpan.FromSeconds(420));

    /// <summary>Waits until every resource is Running and Healthy again (tests leave the topology as they found it).</summary>
    public Task AllHealthyAsync() => Suite.AllHealthyAsync(TimeSpan.FromSeconds(150));

    public async Task DisposeAsync()
    {
        if (Suite is not null)
        {
            await Suite.DisposeAsync();
        }

        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
            // eng/test.sh sweeps its run's root.
        }
    }

    public static string NewStateDir()
    {
        // Under /tmp, so that the postgres user can reach it; eng/test.sh gives each run a root of its own.
        var root = Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } r ? r : Path.Combine(Path.GetTempPath(), "privacysuite-tests");
        var dir = Path.Combine(root, $"{Environment.ProcessId}-suite-{Interlocked.Increment(ref _counter)}");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        return dir;
    }
}

/// <summary>One topology for the classes that leave it as they found it: booting it takes a minute or more.</summary>
[CollectionDefinition(Name)]
public sealed class SuiteCollection : ICollectionFixture<SuiteFixture>
{
    public const string Name = "suite";
}

/// <summary>What runs on this machine, read from /proc: to prove that nothing outlives the AppHost.</summary>
public static class ProcessTable
{
    public static IReadOnlyList<string> CommandLines()
    {
        var lines = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }

            try
            {
                lines.Add(File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return lines;
    }
}
