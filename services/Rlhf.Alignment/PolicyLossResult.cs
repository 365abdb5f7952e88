namespace Rlhf.Alignment;

/// <summary>
/// Loss, gradient and diagnostics of one minibatch of <see cref="PpoObjective"/>. Diagnostics are plain means over
/// the included response tokens whatever the aggregation (TRL averages over its padded tensor, where the log ratio is
/// 0; here padding does not exist). With d_t = logprobs_t − old_logprobs_t and ratio_t = e^{d_t}:
/// </summary>
/// <param name="Loss">Scalar to minimize: pg_loss + kl_loss_coef·kl_loss.</param>
/// <param name="GradLogprobs">∂Loss/∂logprobs_t, layout of <c>logprobs</c>: what <c>PolicyService.Backward</c>
/// takes.</param>
/// <param name="PgLoss">The aggregated clipped surrogate alone: <c>loss/policy_avg</c>.</param>
/// <param name="KlLoss">The aggregated KL-loss term before its coefficient; 0 without <c>use_kl_loss</c>:
/// <c>loss/kl_avg</c>.</param>
/// <param name="ApproxKl">TRL's estimator of KL(old ‖ new), ½·mean(d²): <c>policy/approxkl_avg</c>.</param>
/// <param name="ApproxKlK1">k1 estimate mean(−d): <c>policy/approxkl_k1_avg</c>.</param>
/// <param name="ApproxKlK3">k3 estimate mean((ratio − 1) − d), ≥ 0: <c>policy/approxkl_k3_avg</c>.</param>
/// <param name="ClipFrac">Fraction of tokens where the clipped branch binds (TRL's <c>pg_losses2 &gt;
/// pg_losses</c>): <c>policy/clipfrac_avg</c>.</param>
/// <param name="DualClipFrac">Fraction of tokens capped by dual clip (0 when disabled):
/// <c>policy/dual_clipfrac_avg</c>.</param>
/// <param name="RatioMean">Mean ratio over tokens: <c>val/ratio</c>.</param>
/// <param name="RatioTokenVar">Population variance of the ratio over this minibatch's tokens:
/// <c>val/ratio_token_var</c>. TRL's <c>val/ratio_var</c> is the variance of <c>val/ratio</c> across minibatches
/// (<see cref="MinibatchMetrics"/>).</param>
public sealed record PolicyLossResult(
    double Loss,
    TokenBatch GradLogprobs,
    double PgLoss,
    double KlLoss,
    double ApproxKl,
    double ApproxKlK1,
    double ApproxKlK3,
    double ClipFrac,
    double DualClipFrac,
    double RatioMean,
    double RatioTokenVar)
{
    /// <summary>The diagnostics under their <see cref="MetricNames"/>; average them over minibatches with
    /// <see cref="MinibatchMetrics"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.LossPolicyAvg] = PgLoss,
        [MetricNames.LossKlAvg] = KlLoss,
        [MetricNames.PolicyApproxKlAvg] = ApproxKl,
        [MetricNames.PolicyApproxKlK1Avg] = ApproxKlK1,
        [MetricNames.PolicyApproxKlK3Avg] = ApproxKlK3,
        [MetricNames.PolicyClipFracAvg] = ClipFrac,
        [MetricNames.PolicyDualClipFracAvg] = DualClipFrac,
        [MetricNames.ValRatio] = RatioMean,
        [MetricNames.ValRatioTokenVar] = RatioTokenVar,
    };
}
