using PrivacySuite.FailoverDrill;

// ./eng/failover-drill.sh: boots the suite through the real AppHost in a temporary state folder, runs the drill, prints
// its result line and exits 0 only when every goal holds (rto_s <= 15, lost_acknowledged = 0, duplicate_effects = 0).
var stateDir = Path.Combine(Path.GetTempPath(), $"privacysuite-drill-{Environment.ProcessId}");
Directory.CreateDirectory(stateDir);
File.SetUnixFileMode(stateDir, (UnixFileMode)0b111_101_101); // the postgres user must reach its data folders
var keep = args.Contains("--keep-state");
void Say(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
try
{
    Say($"booting the suite in {stateDir} (one to two minutes)");
    await using var suite = await RunningSuite.StartAsync(stateDir, TimeSpan.FromSeconds(240));
    Say($"every resource Running and Healthy after {suite.TimeToHealthy.TotalSeconds:0} s");
    var result = await Drill.RunAsync(suite, DrillOptions.Default, Say);
    Console.WriteLine(result.Summary);
    Console.WriteLine(result.Details);
    return result.GoalsMet ? 0 : 1;
}
catch (TimeoutException e)
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
