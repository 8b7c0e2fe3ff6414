namespace PrivacySuite.AppHost.Hosting;

/// <summary>The processes below a pid, read from /proc: to end a whole server (a postmaster and its backends) at once.</summary>
public static class ProcessTree
{
    /// <summary>SIGKILL to <paramref name="pid"/> and every descendant, as a power loss would end them.</summary>
    public static void Kill(int pid)
    {
        var children = Children();
        var doomed = new List<int> { pid };
        for (var i = 0; i < doomed.Count; i++)
        {
            doomed.AddRange(children.Where(c => c.Parent == doomed[i]).Select(c => c.Pid));
        }

        // Children first would let a parent respawn them; the parent first would orphan them: stop all, then kill all.
        foreach (var p in doomed)
        {
            ChildProcess.SignalProcess(p, ChildProcess.SigStop);
        }

        foreach (var p in doomed)
        {
            ChildProcess.SignalProcess(p, ChildProcess.SigKill);
        }
    }

    private static List<(int Pid, int Parent)> Children()
    {
        var list = new List<(int, int)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                list.Add((pid, int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        return list;
    }
}
