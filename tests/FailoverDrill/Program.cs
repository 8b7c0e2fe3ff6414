using System.Reflection;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Model;
using PrivacySuite.FailoverDrill;

// ./eng/failover-drill.sh: boots the suite in a temporary state folder, runs the drill, prints its result line and
// exits 0 only when every goal holds (rto_s <= 15, lost_acknowledged = 0, duplicate_effects = 0).
var stateDir = Path.Combine(Path.GetTempPath(), $"privacysuite-drill-{Environment.ProcessId}");
var keep = args.Contains("--keep-state");
void Say(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
try
{
    Say($"booting the suite in {stateDir} (about a minute)");
    var (app, entryPoint) = await DistributedApplicationFactory.StartAsync(
        Assembly.Load("PrivacySuite.AppHost"), ["--state-dir", stateDir, "--fresh", "--random-ports"], _ => { }, TimeSpan.FromSeconds(60));
    try
    {
        var healthy = app.WaitForAllHealthyAsync(TimeSpan.FromSeconds(180));
        if (await Task.WhenAny(healthy, entryPoint) != healthy || !await healthy)
        {
            Say("the suite did not become healthy within 180 s: " + string.Join(", ", app.Resources.Where(r => !r.IsReady).Select(r => $"{r.Name} {r.State}/{r.Health}")));
            return 2;
        }

        var result = await Drill.RunAsync(app, DrillOptions.Default, Say);
        Console.WriteLine(result.Summary);
        Console.WriteLine(result.Details);
        return result.GoalsMet ? 0 : 1;
    }
    finally
    {
        await app.StopAsync();
        await entryPoint.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
catch (HostingException e)
{
    Say(e.Message);
    return 2;
}
finally
{
    if (!keep && Directory.Exists(stateDir))
    {
        Directory.Delete(stateDir, recursive: true);
    }
}
