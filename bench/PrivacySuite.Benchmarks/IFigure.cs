namespace PrivacySuite.Benchmarks;

/// <summary>
/// One benchmark figure, run by name (<c>./eng/bench.sh NAME</c>). A figure measures the suite's path and a baseline
/// in the same run and reports their ratio, so the figure means the same on a faster or a busier machine.
/// Figures are found by reflection: add a class, nothing else.
/// </summary>
public interface IFigure
{
    /// <summary>The name given to eng/bench.sh, e.g. <c>outbox</c> or <c>consent-check</c>.</summary>
    string Name { get; }

    /// <summary>One sentence: what is measured against what.</summary>
    string Description { get; }

    /// <summary>The figure this one is run with (after it) when that one is asked for by name; null for none.</summary>
    string? RunsWith => null;

    Task<IReadOnlyList<FigureResult>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>
/// A result line such as <c>outbox ratio=0.91</c> (printed, and appended to docs/benchmarks.md), with the raw numbers
/// behind it in <paramref name="Details"/>.
/// </summary>
public sealed record FigureResult(string Line, IReadOnlyDictionary<string, string> Details);
