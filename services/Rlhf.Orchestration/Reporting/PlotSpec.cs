using Rlhf.Alignment;

namespace Rlhf.Orchestration.Reporting;

/// <summary>One line plot of the report: a title, a y-axis label and the metrics drawn as lines over iterations.</summary>
/// <param name="Title">Plot title.</param>
/// <param name="YLabel">Y-axis label (unit where there is one).</param>
/// <param name="Metrics">metrics.jsonl keys drawn, one line each.</param>
public sealed record PlotSpec(string Title, string YLabel, IReadOnlyList<string> Metrics)
{
    /// <summary>The standard PPO plots: score, KL, entropy, losses.</summary>
    public static IReadOnlyList<PlotSpec> Ppo { get; } =
    [
        new("Score", "reward-model score", [MetricNames.ObjectiveScores, MetricNames.EvalScore]),
        new("KL to reference", "KL (nats / sequence)", [MetricNames.ObjectiveKl]),
        new("Entropy", "entropy (nats / response)", [MetricNames.ObjectiveEntropy]),
        new("Losses", "loss", [MetricNames.LossPolicyAvg, MetricNames.LossValueAvg]),
    ];
}
