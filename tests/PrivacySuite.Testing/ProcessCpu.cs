using System.Diagnostics;
using System.Globalization;

namespace PrivacySuite.Testing;

/// <summary>
/// CPU time used so far by this process and by the PostgreSQL and RabbitMQ whose command lines (or whose parent's) name
/// a folder: the benchmarks' PRIVACYSUITE_TEST_ROOT, or a test's infrastructure state folder. Exited PostgreSQL backends
/// count through their postmaster. A round's difference divided by its messages is its CPU cost per message, which other
/// work on the machine changes far less than it changes throughput.
/// </summary>
public sealed record ProcessCpu(double DotnetMs, double PostgresMs, double RabbitMqMs)
{
    public double TotalMs => DotnetMs + PostgresMs + RabbitMqMs;

    public static ProcessCpu operator -(ProcessCpu a, ProcessCpu b) =>
        new(a.DotnetMs - b.DotnetMs, a.PostgresMs - b.PostgresMs, a.RabbitMqMs - b.RabbitMqMs);

    public ProcessCpu PerThousand(int messages) =>
        new(DotnetMs * 1000 / messages, PostgresMs * 1000 / messages, RabbitMqMs * 1000 / messages);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{TotalMs:0} (.NET {DotnetMs:0}, PostgreSQL {PostgresMs:0}, RabbitMQ {RabbitMqMs:0})");

    /// <summary>Reads the CPU time of this process and of the servers under <paramref name="folder"/> (default: PRIVACYSUITE_TEST_ROOT).</summary>
    public static ProcessCpu Read(string? folder = null)
    {
        var root = folder ?? Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT");
        double postgres = 0, rabbit = 0;
        if (!string.IsNullOrEmpty(root))
        {
            var ticksPerMs = 100.0 / 1000; // USER_HZ is 100 on Linux
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out _))
                {
                    continue;
                }

                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                    if (name is not ("postgres" or "beam.smp"))
                    {
                        continue;
                    }

                    // Fields after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15), counted from 1 at state.
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    var mine = CommandLine(dir).Contains(root, StringComparison.Ordinal) ||
                               CommandLine(Path.Combine("/proc", fields[1])).Contains(root, StringComparison.Ordinal);
                    if (!mine)
                    {
                        continue;
                    }

                    var ms = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture) +
                              long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / ticksPerMs;
                    if (name == "postgres")
                    {
                        postgres += ms;
                    }
                    else
                    {
                        rabbit += ms;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process ended while we read it.
                }
            }
        }

        return new ProcessCpu(Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, postgres, rabbit);
    }

    /// <summary>CPU time (user + system, milliseconds) one process has used so far: a service the figure started.</summary>
    public static double OfProcess(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime.TotalMilliseconds;
    }

    private static string CommandLine(string procDir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDir, "cmdline"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ""; // the parent ended while we read it
        }
    }
}
