namespace Rlhf.Configuration.Runs;

/// <summary>
/// The contents of <c>summary.json</c>: the headline numbers of a run (see <see cref="SummaryKeys"/>) plus any extra
/// metrics. Gates evaluate against <see cref="ToDictionary"/>.
/// </summary>
public sealed record RunSummary(
    double InitialScore,
    double FinalScore,
    double Kl,
    double RefNllInitial,
    double RefNllFinal,
    int Iterations,
    double WallSeconds)
{
    /// <summary>final_score − initial_score.</summary>
    public double ScoreGain => FinalScore - InitialScore;

    /// <summary>Further metrics written after the standard ones (a standard key here is an error).</summary>
    public IReadOnlyDictionary<string, double> Extra { get; init; } = new Dictionary<string, double>();

    /// <summary>All values by key: the standard ones first, then <see cref="Extra"/>.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var d = new Dictionary<string, double>
        {
            [SummaryKeys.InitialScore] = InitialScore,
            [SummaryKeys.FinalScore] = FinalScore,
            [SummaryKeys.ScoreGain] = ScoreGain,
            [SummaryKeys.Kl] = Kl,
            [SummaryKeys.RefNllInitial] = RefNllInitial,
            [SummaryKeys.RefNllFinal] = RefNllFinal,
            [SummaryKeys.Iterations] = Iterations,
            [SummaryKeys.WallSeconds] = WallSeconds,
        };
        foreach (var (k, v) in Extra)
        {
            if (!d.TryAdd(k, v))
                throw new InvalidOperationException($"summary extra key '{k}' clashes with a standard key");
        }
        return d;
    }
}
