using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// GRPO (Shao et al. 2024, "DeepSeekMath", eq. 3) as a loss: per token
/// l_t = max(−Â_t·ratio_t, −Â_t·clip(ratio_t, 1 − ε, 1 + ε)) + β·k3_t, with k3_t = (r − 1) − log r,
/// r = exp(ref_logprobs_t − logprobs_t) (eq. 4), reduced by default as 1/G Σ_i 1/|o_i| Σ_t.
/// ∂loss/∂logprobs_t = w_t·(∂pg_loss_t/∂logprobs_t + β·(1 − r)): the KL term is differentiated too.
/// Advantages come from <see cref="GroupAdvantages.Grpo"/> broadcast to tokens.
/// </summary>
public static class GrpoObjective
{
    /// <summary>Loss and gradient w.r.t. <paramref name="logprobs"/>.</summary>
    /// <param name="logprobs">New log-probs (nats), G·P sequences.</param>
    /// <param name="oldLogprobs">Rollout log-probs, same layout.</param>
    /// <param name="refLogprobs">Reference-policy log-probs, same layout.</param>
    /// <param name="advantages">Per-token advantages, same layout.</param>
    /// <param name="options">ε, β, dual clip, aggregation; null for defaults.</param>
    public static PolicyLossResult Compute(
        TokenBatch logprobs,
        TokenBatch oldLogprobs,
        TokenBatch refLogprobs,
        TokenBatch advantages,
        GrpoLossOptions? options = null)
    {
        options ??= new GrpoLossOptions();
        ArgumentNullException.ThrowIfNull(refLogprobs);
        Numerics.EnsureFiniteNonNegative(options.Beta, nameof(options), "beta");

        return PolicyLossCore.Compute(logprobs, oldLogprobs, refLogprobs, advantages, options.Cliprange,
            options.DualClip, options.Beta, options.Aggregation);
    }
}
