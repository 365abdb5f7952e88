namespace Rlhf.Alignment;

/// <summary>Output of <see cref="SftObjective.Compute"/>.</summary>
/// <param name="Loss">−Σ_t w_t·logprobs_t (nats per token under token-mean): <c>loss/nll</c>.</param>
/// <param name="GradLogprobs">−w_t per token, layout of the input.</param>
/// <param name="NumTokens">Completion tokens in the loss: <c>sft/num_tokens</c>.</param>
public sealed record NllLossResult(double Loss, TokenBatch GradLogprobs, int NumTokens)
{
    /// <summary>The values under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.LossNll] = Loss,
        [MetricNames.SftNumTokens] = NumTokens,
    };
}
