namespace Rlhf.Alignment;

/// <summary>
/// REINFORCE++ advantages (Hu 2025, "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language
/// Models", arXiv:2501.03262): no critic; token-level returns of the KL-shaped per-token rewards,
/// G_t = Σ_{s≥t} γ^{s−t}·rewards_s, whitened globally over every token of the batch (the paper's global advantage
/// normalisation) with <see cref="Whitening.MaskedWhiten"/> (unbiased variance, ε = 1e-8). The advantages feed
/// <see cref="PpoObjective"/>.
/// </summary>
public static class ReinforcePlusPlus
{
    /// <summary>REINFORCE++: whitened advantages and the raw returns, both in the layout of
    /// <paramref name="rewards"/>.</summary>
    /// <param name="rewards">KL-shaped per-token rewards (<see cref="RewardsResult.Rewards"/>).</param>
    /// <param name="gamma">Discount γ in [0, 1] (1 in the paper).</param>
    public static (TokenBatch Advantages, TokenBatch Returns) Compute(TokenBatch rewards, double gamma = 1.0)
    {
        var returns = Gae.DiscountedReturns(rewards, gamma);
        return (Whitening.MaskedWhiten(returns, shiftMean: true), returns);
    }

    /// <summary>
    /// REINFORCE++-baseline (Hu 2025, the variant for several samples per prompt; OpenRLHF's and verl's
    /// <c>reinforce_plus_plus_baseline</c>): each score first loses the mean score of its prompt's group,
    /// s_i − mean(group); the baselined score goes on the last token of the per-token non-score rewards; then the
    /// returns and the global whitening of <see cref="Compute"/>. With the KL as a loss term instead of in the reward
    /// (zero non-score rewards) and γ = 1 every token of response i gets (s_i − mean(group)) before whitening, which
    /// is verl's form; with KL in the reward this is OpenRLHF's (verl broadcasts the sequence sum instead).
    /// </summary>
    /// <param name="nonScoreRewards">Per-token −kl_coef·kl_t (<see cref="RewardsResult.NonScoreRewards"/>; zeros for
    /// no KL in the reward), the K samples of each prompt contiguous.</param>
    /// <param name="scores">Score per response (<see cref="RewardsResult.Scores"/>), shape (P·K,).</param>
    /// <param name="groupSize">K ≥ 2.</param>
    /// <param name="gamma">Discount γ in [0, 1].</param>
    /// <returns>Whitened advantages and the returns of the baselined rewards, layout of
    /// <paramref name="nonScoreRewards"/>.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, K &lt; 2, the batch does not split into groups, or a
    /// response is empty.</exception>
    public static (TokenBatch Advantages, TokenBatch Returns) ComputeWithBaseline(
        TokenBatch nonScoreRewards, ReadOnlySpan<double> scores, int groupSize, double gamma = 1.0)
    {
        ArgumentNullException.ThrowIfNull(nonScoreRewards);
        var baselined = GroupAdvantages.Grpo(scores, groupSize, scaleRewards: false);
        return Compute(PerTokenRewards.PlaceScores(nonScoreRewards, baselined), gamma);
    }
}
