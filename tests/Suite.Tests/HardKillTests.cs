using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.Suite.Tests;

/// <summary>An AppHost that dies hard leaves its children running; the next one on the same state folder ends them.</summary>
public sealed class HardKillTests : IAsyncLifetime
{
    private readonly string _stateDir = Path.Combine(
        Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } r ? r : Path.Combine(Path.GetTempPath(), "privacysuite-tests"),
        $"{Environment.ProcessId}-hardkill");

    private readonly Action<string> _output = TestOutput.Sink("apphost-hardkill");
    private ChildProcess? _killed;
    private DistributedApplication? _next;

    [Fact]
    public async Task The_next_apphost_ends_what_a_killed_one_left_running_and_starts_cleanly()
    {
        var runDir = Path.Combine(_stateDir, "run");
        // The AppHost as eng/run.sh runs it: its own build output, a process of its own.
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _killed = ChildProcess.Start("dotnet", [AppHostPaths.ProjectAssembly("AppHost"), "--state-dir", _stateDir, "--random-ports"],
            new Dictionary<string, string?>(), line =>
            {
                lines.Enqueue(line);
                _output(line);
            });
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(Directory.Exists(runDir) && Directory.GetFiles(runDir, "*.pid").Length == SuiteFixture.ResourceNames.Length),
                TimeSpan.FromSeconds(150), "every resource started by the first AppHost");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + Environment.NewLine + string.Join(Environment.NewLine, lines.TakeLast(30)), e);
        }

        var orphans = Directory.GetFiles(runDir, "*.pid").Select(f => int.Parse(File.ReadAllText(f).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();

        _killed.Signal(ChildProcess.SigKill);
        await _killed.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(orphans, pid => Assert.True(Directory.Exists($"/proc/{pid}"), $"process {pid} outlived its AppHost, as children in their own sessions do"));

        (_next, var entryPoint) = await DistributedApplicationFactory.StartAsync(
            SuiteFixture.AppHostAssembly, ["--state-dir", _stateDir, "--random-ports"], _output, TimeSpan.FromSeconds(60));
        Assert.True(await SuiteFixture.HealthyBeforeExitAsync(_next, entryPoint, TimeSpan.FromSeconds(150)), "the next AppHost brought every resource up");

        var left = ProcessTable.Snapshot().Where(p => orphans.Contains(p.Pid) || orphans.Contains(p.ProcessGroup)).ToList();
        Assert.Empty(left);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_next is not null)
        {
            await _next.StopAsync();
        }

        if (_killed is not null)
        {
            await _killed.DisposeAsync();
        }

        try
        {
            Directory.Delete(_stateDir, recursive: true);
        }
        catch (IOException)
        {
            // eng/test.sh sweeps its run's root.
        }
    }
}
