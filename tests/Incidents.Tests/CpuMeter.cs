using System.Diagnostics;
using System.Globalization;

namespace PrivacySuite.Incidents.Tests;

/// <summary>
/// CPU time used so far by this test process (the three services in it) and by the test's own PostgreSQL and RabbitMQ
/// (those whose command line, or whose parent's, names the infrastructure's state folder; exited PostgreSQL backends
/// are counted through their postmaster). The drill reports its CPU per notice with it: on a machine shared with other
/// work the wall-clock time says little, the CPU per notice much more (as the benchmarks' ProcessCpu does).
/// </summary>
public sealed record CpuMeter(double DotnetS, double PostgresS, double RabbitMqS)
{
    public double TotalS => DotnetS + PostgresS + RabbitMqS;

    public static CpuMeter operator -(CpuMeter a, CpuMeter b) => new(a.DotnetS - b.DotnetS, a.PostgresS - b.PostgresS, a.RabbitMqS - b.RabbitMqS);

    public string PerThousand(int count) => string.Create(CultureInfo.InvariantCulture,
        $"{TotalS * 1e6 / count:0} ms CPU per 1,000 (.NET {DotnetS * 1e6 / count:0}, PostgreSQL {PostgresS * 1e6 / count:0}, RabbitMQ {RabbitMqS * 1e6 / count:0})");

    public static CpuMeter Read(string stateDir)
    {
        double postgres = 0, rabbit = 0;
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

                // After the name: state ppid ... utime stime cutime cstime are fields 12 to 15, counting state as 1.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (!CommandLine(dir).Contains(stateDir, StringComparison.Ordinal) &&
                    !CommandLine(Path.Combine("/proc", fields[1])).Contains(stateDir, StringComparison.Ordinal))
                {
                    continue;
                }

                var seconds = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture) +
                               long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0; // USER_HZ
                if (name == "postgres")
                {
                    postgres += seconds;
                }
                else
                {
                    rabbit += seconds;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }

        return new CpuMeter(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, postgres, rabbit);
    }

    private static string CommandLine(string procDir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDir, "cmdline")).Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
