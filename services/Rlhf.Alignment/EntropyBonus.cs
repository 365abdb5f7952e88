using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// The entropy bonus of PPO (Schulman et al. 2017, eq. 9, the c2·S term) as a loss: loss = −ent_coef·Σ_t w_t·entropy_t,
/// so ∂loss/∂entropy_t = −ent_coef·w_t — the <c>grad_entropy</c> of <c>PolicyService.Backward</c>.
/// Entropy is per token in nats, of the full next-token distribution.
/// </summary>
public static class EntropyBonus
{
    /// <summary>Loss, gradient w.r.t. entropy and mean entropy.</summary>
    /// <param name="entropy">Per-token entropy (nats).</param>
    /// <param name="entCoef">ent_coef ≥ 0 (CleanRL default 0.01; 0 disables).</param>
    /// <param name="aggregation">Reduction; null for token-mean.</param>
    public static EntropyBonusResult Compute(TokenBatch entropy, double entCoef, LossAggregation? aggregation = null)
    {
        ArgumentNullException.ThrowIfNull(entropy);
        Numerics.EnsureFiniteNonNegative(entCoef, nameof(entCoef), "ent_coef");

        var weights = Aggregation.Weights(entropy, aggregation ?? LossAggregation.TokenMean);
        var grad = new double[weights.Length];
        for (var t = 0; t < grad.Length; t++)
        {
            grad[t] = -entCoef * weights[t];
        }

        return new EntropyBonusResult(
            -entCoef * Aggregation.Dot(weights, entropy.Data),
            entropy.WithData(grad),
            Aggregation.Mean(entropy.Data));
    }
}
