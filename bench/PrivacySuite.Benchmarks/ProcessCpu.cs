using System.Diagnostics;
using System.Globalization;

namespace PrivacySuite.Benchmarks;

/// <summary>
/// CPU time used so far by this process and by the bench's PostgreSQL and RabbitMQ (found under PRIVACYSUITE_TEST_ROOT,
/// exited PostgreSQL backends included through their postmaster). A round's difference divided by its messages is
/// its CPU cost per message, which other engineers' load on the machine changes far less than it changes throughput.
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

    public static ProcessCpu Read()
    {
        var root = Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT");
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

    private static string CommandLine(string procDir) => File.ReadAllText(Path.Combine(procDir, "cmdline"));
}
