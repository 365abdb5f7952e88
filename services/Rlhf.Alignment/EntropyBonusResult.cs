namespace Rlhf.Alignment;

/// <summary>Output of <see cref="EntropyBonus.Compute"/>.</summary>
/// <param name="Loss">−ent_coef·aggregated entropy.</param>
/// <param name="GradEntropy">∂Loss/∂entropy_t, layout of the input.</param>
/// <param name="MeanEntropy">Mean entropy over tokens during the update (nats/token): <c>policy/entropy_avg</c>.</param>
public sealed record EntropyBonusResult(double Loss, TokenBatch GradEntropy, double MeanEntropy)
{
    /// <summary>The diagnostics under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.PolicyEntropyAvg] = MeanEntropy,
        [MetricNames.LossEntropyAvg] = Loss,
    };
}
