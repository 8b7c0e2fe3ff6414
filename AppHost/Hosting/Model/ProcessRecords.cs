using System.Globalization;
using System.Runtime.InteropServices;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>
/// One file per running resource in the state folder (run/NAME.pid: process id and kernel start time). If the AppHost
/// itself dies hard (SIGKILL, OOM), its children, each in a session of its own, live on; the next start finds their
/// records and ends those process groups before it checks ports, instead of failing on "port in use".
/// </summary>
internal sealed partial class ProcessRecords(string stateDir, Action<string> console)
{
    private const int SigKill = 9;

    private string Directory => Path.Combine(stateDir, "run");

    public void Record(Resource resource)
    {
        if (resource.ProcessId is not { } pid || StartTime(pid) is not { } started)
        {
            return;
        }

        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(PathOf(resource), $"{pid} {started}");
    }

    public void Forget(Resource resource) => File.Delete(PathOf(resource));

    /// <summary>Ends what an earlier AppHost left running; returns the resources that had something left.</summary>
    public async Task<IReadOnlyList<Resource>> ReapAsync(IEnumerable<Resource> resources)
    {
        var reaped = new List<(Resource Resource, string Path)>();
        var groups = new List<int>();
        foreach (var resource in resources)
        {
            var path = PathOf(resource);
            if (!File.Exists(path))
            {
                continue;
            }

            var parts = (await File.ReadAllTextAsync(path)).Split(' ');
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && StartTime(pid) == parts[1])
            {
                console($"{resource.Name}: ending process group {pid}, left running by an earlier AppHost");
                _ = kill(-pid, SigKill);
                _ = kill(pid, SigKill);
                groups.Add(pid);
            }

            reaped.Add((resource, path));
        }

        // Wait until every group is gone from /proc, zombies included, all at once: the killed processes' parent died
        // with the earlier AppHost, so init reaps them, not always at once, and PostgreSQL refuses to start while the
        // pid in its postmaster.pid still exists ("lock file already exists").
        for (var i = 0; i < 100 && groups.Any(g => System.IO.Directory.Exists($"/proc/{g}") || GroupHasMembers(g)); i++)
        {
            await Task.Delay(100);
        }

        foreach (var (resource, path) in reaped)
        {
            // What lives outside the group (RabbitMQ's epmd) goes with the resource's own stop.
            await resource.StopAsync();
            File.Delete(path);
        }

        return reaped.Select(r => r.Resource).ToList();
    }

    private string PathOf(Resource resource) => Path.Combine(Directory, resource.Name + ".pid");

    /// <summary>Field 22 of /proc/PID/stat: with the pid, it names one process even after the pid is reused.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether any process, zombies included, still belongs to process group <paramref name="group"/> (field 5 of /proc/PID/stat).</summary>
    private static bool GroupHasMembers(int group)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[2] == group.ToString(CultureInfo.InvariantCulture))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return false;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
