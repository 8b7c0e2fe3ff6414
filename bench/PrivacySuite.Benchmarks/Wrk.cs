using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PrivacySuite.Benchmarks;

public sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, long SocketErrors);

/// <summary>Drives an HTTP endpoint with wrk (Debian's package) from a second process, as a load test should.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(
        string url,
        int connections,
        TimeSpan duration,
        int threads = 2,
        string? luaScript = null,
        IReadOnlyDictionary<string, string>? headers = null,
        CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { $"-t{threads}", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "--timeout", "10s" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in headers ?? new Dictionary<string, string>())
        {
            info.ArgumentList.Add("-H");
            info.ArgumentList.Add($"{key}: {value}");
        }

        string? scriptPath = null;
        if (luaScript is not null)
        {
            scriptPath = Path.Combine(Path.GetTempPath(), $"wrk-{Guid.NewGuid():N}.lua");
            await File.WriteAllTextAsync(scriptPath, luaScript, cancellationToken);
            info.ArgumentList.Add("-s");
            info.ArgumentList.Add(scriptPath);
        }

        info.ArgumentList.Add(url);
        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk did not start: install it with 'apt-get install -y wrk'.");
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {error}{output}");
            }

            return Parse(output);
        }
        finally
        {
            if (scriptPath is not null)
            {
                File.Delete(scriptPath);
            }
        }
    }

    public static WrkResult Parse(string output)
    {
        double Latency(string percentile)
        {
            var match = Regex.Match(output, $@"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            if (!match.Success)
            {
                return double.NaN;
            }

            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }

        long Count(Regex pattern) => pattern.Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

        var socketErrors = SocketErrors().Match(output);
        return new WrkResult(
            double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Latency("50"),
            Latency("99"),
            Count(Requests()),
            Count(Non2xx()),
            socketErrors.Success ? socketErrors.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
