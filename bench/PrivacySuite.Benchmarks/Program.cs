using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using PrivacySuite.Benchmarks;

// ./eng/bench.sh NAME [--rounds N] [--no-record]: runs one figure (or a family: `vault`), prints its result lines, appends them to docs/benchmarks.md.
var figures = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IFigure).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IFigure)Activator.CreateInstance(t)!)
    .OrderBy(f => f.Name, StringComparer.Ordinal)
    .ToList();

var roundsAt = Array.IndexOf(args, "--rounds");
var rounds = BenchContext.DefaultRounds;
if (roundsAt >= 0 && (roundsAt + 1 >= args.Length || !int.TryParse(args[roundsAt + 1], out rounds) || rounds < 1))
{
    Console.Error.WriteLine("--rounds takes a whole number of rounds, at least 1, e.g. --rounds 5.");
    return 2;
}

var name = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (roundsAt < 0 || i != roundsAt + 1)).FirstOrDefault();
// A name runs its figure and those run with it (`vault-read` runs vault-read-sensitive after it); a family name runs each
// figure of the family in turn: `vault` runs vault-crypto, vault-read and vault-read-sensitive.
var selected = figures.Where(f => f.Name == name).Concat(figures.Where(f => f.RunsWith is not null && f.RunsWith == name)).ToList();
if (selected.Count == 0 && name is not null)
{
    selected = figures.Where(f => f.Name.StartsWith(name + "-", StringComparison.Ordinal)).ToList();
}

if (selected.Count == 0)
{
    Console.Error.WriteLine(name is null ? "Which figure? Usage: ./eng/bench.sh NAME" : $"No figure named '{name}'.");
    Console.Error.WriteLine("Figures:");
    foreach (var f in figures)
    {
        Console.Error.WriteLine($"  {f.Name,-16} {f.Description}");
    }

    return 2;
}

foreach (var figure in selected)
{
    var context = new BenchContext(rounds);
    context.Progress($"{figure.Name}: {figure.Description}");
    using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
    var results = await figure.RunAsync(context, cts.Token);
    foreach (var result in results)
    {
        Console.WriteLine(result.Line);
        // The components behind the ratio, also when the run is not recorded: they are what a change is judged by.
        Console.Error.WriteLine($"  {string.Join(", ", result.Details.Select(d => $"{d.Key} {d.Value}"))}");
    }

    if (!args.Contains("--no-record"))
    {
        var doc = Environment.GetEnvironmentVariable("PRIVACYSUITE_BENCH_RESULTS") ?? "docs/benchmarks.md";
        File.AppendAllText(doc, Record(figure, results, string.Join(' ', args)));
        context.Progress($"appended to {doc}");
    }
}

return 0;

static string Record(IFigure figure, IReadOnlyList<FigureResult> results, string arguments)
{
    var text = new StringBuilder();
    text.AppendLine(CultureInfo.InvariantCulture, $"\n### {figure.Name}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    text.AppendLine(CultureInfo.InvariantCulture, $"{figure.Description}  ");
    text.AppendLine(CultureInfo.InvariantCulture, $"Command: `./eng/bench.sh {arguments}` on {Environment.ProcessorCount} cores ({CpuModel()}).\n");
    text.AppendLine("```");
    foreach (var result in results)
    {
        text.AppendLine(result.Line);
    }

    text.AppendLine("```");
    foreach (var result in results)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"- {result.Line.Split(' ')[0]}: {string.Join(", ", result.Details.Select(d => $"{d.Key} {d.Value}"))}");
    }

    return text.ToString();
}

static string CpuModel()
{
    var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
    return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
}

/// <summary>Shared measuring helpers for figures.</summary>
public static class Measure
{
    public static string Ratio(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Number(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed;
    }
}
