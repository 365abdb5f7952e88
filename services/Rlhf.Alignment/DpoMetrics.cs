namespace Rlhf.Alignment;

/// <summary>TRL's DPO metrics (<see cref="DpoObjective.ComputeMetrics"/>), means over pairs.</summary>
/// <param name="RewardsChosen">Mean implicit reward β(π_c − ref_c): <c>rewards/chosen</c>.</param>
/// <param name="RewardsRejected">Mean β(π_r − ref_r): <c>rewards/rejected</c>.</param>
/// <param name="RewardsAccuracies">Fraction of pairs with chosen reward &gt; rejected: <c>rewards/accuracies</c>.</param>
/// <param name="RewardsMargins">Mean chosen − rejected reward: <c>rewards/margins</c>.</param>
/// <param name="LogpsChosen">Mean policy log-prob of the chosen responses (nats): <c>logps/chosen</c>.</param>
/// <param name="LogpsRejected">Mean policy log-prob of the rejected responses: <c>logps/rejected</c>.</param>
public sealed record DpoMetrics(
    double RewardsChosen,
    double RewardsRejected,
    double RewardsAccuracies,
    double RewardsMargins,
    double LogpsChosen,
    double LogpsRejected)
{
    /// <summary>The values under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.RewardsChosen] = RewardsChosen,
        [MetricNames.RewardsRejected] = RewardsRejected,
        [MetricNames.RewardsAccuracies] = RewardsAccuracies,
        [MetricNames.RewardsMargins] = RewardsMargins,
        [MetricNames.LogpsChosen] = LogpsChosen,
        [MetricNames.LogpsRejected] = LogpsRejected,
    };
}
