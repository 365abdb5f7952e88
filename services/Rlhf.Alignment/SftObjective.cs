using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// Supervised fine-tuning: the negative log-likelihood of the completion tokens, the language-modelling objective
/// (Radford et al. 2018, eq. 1) restricted to the response, as InstructGPT's SFT stage (Ouyang et al. 2022, §3.5) and
/// TRL's <c>completion_only_loss</c>. loss = −Σ_t w_t·logprobs_t with the <see cref="LossAggregation"/> weights (token-mean
/// by default: nats per completion token), ∂loss/∂logprobs_t = −w_t. The prompt is masked by construction: a
/// <see cref="TokenBatch"/> of <c>ComputeLogProbs</c> output holds one entry per response token and none for the
/// prompt. The one NLL path of the library: SFT on demonstrations and best-of-n fine-tuning on
/// <see cref="BestOfN.SelectBest"/>'s picks both call it.
/// </summary>
public static class SftObjective
{
    /// <summary>NLL and its gradient.</summary>
    /// <param name="logprobs">Log-probs (nats, temperature 1) of the completion tokens, B sequences.</param>
    /// <param name="aggregation">Reduction; null for token-mean.</param>
    /// <exception cref="ArgumentException">No completion token.</exception>
    public static NllLossResult Compute(TokenBatch logprobs, LossAggregation? aggregation = null)
    {
        ArgumentNullException.ThrowIfNull(logprobs);
        var weights = Aggregation.Weights(logprobs, aggregation ?? LossAggregation.TokenMean);
        var grad = new double[weights.Length];
        for (var t = 0; t < grad.Length; t++)
        {
            grad[t] = -weights[t];
        }

        return new NllLossResult(-Aggregation.Dot(weights, logprobs.Data), logprobs.WithData(grad),
            logprobs.TotalTokens);
    }
}
