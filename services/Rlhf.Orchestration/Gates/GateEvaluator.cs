namespace Rlhf.Orchestration.Gates;

/// <summary>Parses and evaluates a list of gates (the <c>--gate</c> options of <c>rlhf ppo</c>).</summary>
public static class GateEvaluator
{
    /// <summary>
    /// Parses every expression; throws one <see cref="GateParseException"/> for the first malformed one. Call before a
    /// run starts so a typo never costs a run.
    /// </summary>
    public static IReadOnlyList<Gate> ParseAll(IEnumerable<string> expressions) => [.. expressions.Select(Gate.Parse)];

    /// <summary>
    /// Parses every expression as <see cref="ParseAll(IEnumerable{string})"/> does and refuses a metric that is not in
    /// <paramref name="knownMetrics"/> (e.g. <see cref="Rlhf.Configuration.Runs.SummaryKeys.All"/>) with one
    /// <see cref="GateParseException"/> naming the nearest valid metrics, so that a misspelled metric is refused before
    /// the run, not after it.
    /// </summary>
    public static IReadOnlyList<Gate> ParseAll(IEnumerable<string> expressions, IReadOnlyCollection<string> knownMetrics)
    {
        ArgumentNullException.ThrowIfNull(knownMetrics);
        var gates = new List<Gate>();
        foreach (var expression in expressions)
        {
            var gate = Gate.Parse(expression);
            if (!knownMetrics.Contains(gate.Metric))
            {
                throw new GateParseException(
                    $"invalid gate '{expression}': unknown metric '{gate.Metric}'; nearest valid metrics: "
                    + $"{string.Join(", ", Rlhf.Configuration.ConfigNames.Nearest(gate.Metric, knownMetrics))} (gates compare summary.json keys: {string.Join(", ", knownMetrics)})",
                    expression, expression.IndexOf(gate.Metric, StringComparison.Ordinal));
            }
            gates.Add(gate);
        }
        return gates;
    }

    /// <summary>Evaluates every gate against <paramref name="summary"/>, in order.</summary>
    public static IReadOnlyList<GateResult> EvaluateAll(IEnumerable<Gate> gates, IReadOnlyDictionary<string, double> summary) =>
        [.. gates.Select(g => g.Evaluate(summary))];

    /// <summary>True when every result passed (also for no gates).</summary>
    public static bool AllPassed(IEnumerable<GateResult> results) => results.All(r => r.Passed);
}
