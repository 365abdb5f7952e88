using Rlhf.Alignment;

namespace Rlhf.Orchestration.Reporting;

/// <summary>One line plot of the report: a title, a y-axis label and the metrics drawn as lines over iterations.</summary>
/// <param name="Title">Plot title.</param>
/// <param name="YLabel">Y-axis label with its unit.</param>
/// <param name="Metrics">metrics.jsonl keys drawn, one line each.</param>
public sealed record PlotSpec(string Title, string YLabel, IReadOnlyList<string> Metrics)
{
    /// <summary>The standard PPO plots: score, KL, entropy, losses, diversity.</summary>
    public static IReadOnlyList<PlotSpec> Ppo { get; } =
    [
        new("Score", "reward-model score (normalized units)", [MetricNames.ObjectiveScores, MetricNames.EvalScore]),
        new("KL to reference", "KL (nats per response)", [MetricNames.ObjectiveKl, MetricNames.EvalKl]),
        new("Entropy", "entropy (nats per response)", [MetricNames.ObjectiveEntropy]),
        new("Losses", "loss (per token)", [MetricNames.LossPolicyAvg, MetricNames.LossValueAvg]),
        new("Diversity of the responses", "fraction (0 to 1)",
            [MetricNames.DiversityDistinct1, MetricNames.DiversityDistinct2, MetricNames.DiversitySelfBleu]),
    ];
}
