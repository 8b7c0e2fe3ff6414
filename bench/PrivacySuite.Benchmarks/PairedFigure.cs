using System.Globalization;

namespace PrivacySuite.Benchmarks;

/// <summary>
/// One measured run of one side of a pair: its rate (operations per second, higher is better), the CPU it cost per
/// operation, its tail latency where it has one, and whatever else the figure reports (named with their unit, e.g.
/// <c>p50_ms</c>, <c>transactions_per_op</c>).
/// </summary>
public sealed record Side(double Rate, double CpuMicrosPerOperation, double? P99Ms = null, IReadOnlyDictionary<string, double>? Also = null);

/// <summary>
/// The two sides of a figure, ready to measure: the suite's path (the subject) and its baseline, each measured by one
/// call, plus whatever must outlive the rounds (processes, servers), disposed at the end.
/// </summary>
public sealed class Pair(
    string subject, Func<CancellationToken, Task<Side>> measureSubject,
    string baseline, Func<CancellationToken, Task<Side>> measureBaseline,
    params IAsyncDisposable[] resources) : IAsyncDisposable
{
    public string Subject => subject;

    public string Baseline => baseline;

    /// <summary>What the figure measured once, outside the rounds (a server's ceiling), reported beside them.</summary>
    public IReadOnlyDictionary<string, string> Notes { get; init; } = new Dictionary<string, string>();

    public Task<Side> MeasureSubjectAsync(CancellationToken cancellationToken) => measureSubject(cancellationToken);

    public Task<Side> MeasureBaselineAsync(CancellationToken cancellationToken) => measureBaseline(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var resource in resources.Reverse())
        {
            await resource.DisposeAsync();
        }
    }
}

/// <summary>
/// A figure measured as a pair in rounds: each round measures the subject and the baseline back to back, the order
/// alternating from round to round, and gives one ratio. The figure is the median ratio with its spread (lowest and
/// highest round), so one noisy round moves neither, and a neighbour's load shows as spread instead of as a new figure.
/// </summary>
public abstract class PairedFigure : IFigure
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>What the figure must reach, shown beside it (e.g. "ratio >= 0.7").</summary>
    protected abstract string Goal { get; }

    /// <summary>Starts both sides and warms them up (JIT, pools, caches), so the rounds compare steady states.</summary>
    protected abstract Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken);

    public async Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        await using var pair = await PrepareAsync(context, cancellationToken);
        var rounds = new List<(Side Subject, Side Baseline)>();
        for (var round = 0; round < context.Rounds; round++)
        {
            // Baseline first in even rounds, subject first in odd ones: a drift over the run favours neither side.
            Side subject, baseline;
            if (round % 2 == 0)
            {
                baseline = await pair.MeasureBaselineAsync(cancellationToken);
                subject = await pair.MeasureSubjectAsync(cancellationToken);
            }
            else
            {
                subject = await pair.MeasureSubjectAsync(cancellationToken);
                baseline = await pair.MeasureBaselineAsync(cancellationToken);
            }

            rounds.Add((subject, baseline));
            context.Progress($"round {round + 1}/{context.Rounds}: ratio {subject.Rate / baseline.Rate:0.00} " +
                             $"({pair.Subject} {subject.Rate:0}/s at {subject.CpuMicrosPerOperation:0.0} µs CPU each, " +
                             $"{pair.Baseline} {baseline.Rate:0}/s at {baseline.CpuMicrosPerOperation:0.0} µs)");
        }

        return [Summarise(pair, rounds)];
    }

    private FigureResult Summarise(Pair pair, List<(Side Subject, Side Baseline)> rounds)
    {
        var ratios = rounds.Select(r => r.Subject.Rate / r.Baseline.Rate).ToList();
        var line = $"{Name} ratio={Measure.Ratio(Median(ratios))} spread={Measure.Ratio(ratios.Min())}-{Measure.Ratio(ratios.Max())} rounds={rounds.Count}";
        if (rounds[0].Subject.P99Ms is not null && rounds[0].Baseline.P99Ms is not null)
        {
            line += $" p99_ms={P99(rounds.Select(r => r.Subject))} {pair.Baseline}_p99_ms={P99(rounds.Select(r => r.Baseline))}";
        }

        var details = new Dictionary<string, string>
        {
            ["ratios"] = string.Join(' ', ratios.Select(Measure.Ratio)),
            [$"{pair.Subject}_per_s"] = Spread(rounds.Select(r => r.Subject.Rate), "0"),
            [$"{pair.Baseline}_per_s"] = Spread(rounds.Select(r => r.Baseline.Rate), "0"),
            // CPU per operation: what a side costs, which a neighbour's load changes far less than it changes the rate.
            [$"{pair.Subject}_cpu_us_per_op"] = Spread(rounds.Select(r => r.Subject.CpuMicrosPerOperation), "0.0"),
            [$"{pair.Baseline}_cpu_us_per_op"] = Spread(rounds.Select(r => r.Baseline.CpuMicrosPerOperation), "0.0"),
        };
        foreach (var (side, name) in new[] { (0, pair.Subject), (1, pair.Baseline) })
        {
            var sides = rounds.Select(r => side == 0 ? r.Subject : r.Baseline).ToList();
            foreach (var key in sides[0].Also?.Keys ?? [])
            {
                details[$"{name}_{key}"] = Spread(sides.Select(s => s.Also![key]), "0.00");
            }
        }

        foreach (var (key, value) in pair.Notes)
        {
            details[key] = value;
        }

        details["goal"] = Goal;
        return new FigureResult(line, details);
    }

    private static string P99(IEnumerable<Side> sides) => Measure.Number(Median(sides.Select(s => s.P99Ms!.Value).ToList()), "0.00");

    /// <summary>"median (lowest-highest)".</summary>
    public static string Spread(IEnumerable<double> values, string format)
    {
        var list = values.ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"{Median(list).ToString(format, CultureInfo.InvariantCulture)} ({list.Min().ToString(format, CultureInfo.InvariantCulture)}-{list.Max().ToString(format, CultureInfo.InvariantCulture)})");
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
