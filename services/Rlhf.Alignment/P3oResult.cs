namespace Rlhf.Alignment;

/// <summary>Output of <see cref="P3oObjective.Compute"/>.</summary>
/// <param name="Loss">The clipped pairwise loss (see <see cref="P3oObjective"/> for its normalisation):
/// <c>loss/policy_avg</c>.</param>
/// <param name="GradLogprobs1">∂Loss/∂logprobs of every token of the first responses (layout of
/// <c>first.Logprobs</c>).</param>
/// <param name="GradLogprobs2">∂Loss/∂logprobs of every token of the second responses.</param>
/// <param name="ClipFrac">Fraction of clipped terms whose clipped branch binds (V1: 2B terms, V2: B pairs,
/// per-token: all tokens): <c>policy/clipfrac_avg</c>.</param>
/// <param name="ApproxKl">TRL's ½·mean((logprobs − old_logprobs)²) over all tokens of both responses:
/// <c>policy/approxkl_avg</c>.</param>
/// <param name="QAbsMean">Mean |q| over pairs (the authors' <c>q_diff_abs_mean</c>): <c>p3o/q_abs_mean</c>.</param>
/// <param name="RatioMean">Mean joint ratio ρ_1·ρ_2 over pairs, before clamping (the authors' <c>ratio_mean</c>):
/// <c>p3o/ratio_mean</c>.</param>
public sealed record P3oResult(
    double Loss,
    TokenBatch GradLogprobs1,
    TokenBatch GradLogprobs2,
    double ClipFrac,
    double ApproxKl,
    double QAbsMean,
    double RatioMean)
{
    /// <summary>The diagnostics under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.LossPolicyAvg] = Loss,
        [MetricNames.PolicyClipFracAvg] = ClipFrac,
        [MetricNames.PolicyApproxKlAvg] = ApproxKl,
        [MetricNames.P3oQAbsMean] = QAbsMean,
        [MetricNames.P3oRatioMean] = RatioMean,
    };
}
