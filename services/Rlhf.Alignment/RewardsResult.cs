namespace Rlhf.Alignment;

/// <summary>Output of <see cref="PerTokenRewards.Compute"/>.</summary>
/// <param name="Rewards">rewards_t = non_score_reward_t, plus the score on the last token. Layout of <c>kl</c>.</param>
/// <param name="NonScoreRewards">non_score_reward_t = −kl_coef·kl_t.</param>
/// <param name="Scores">The scores actually placed, after penalties, normalization and clipping: shape (B,).</param>
/// <param name="KlPerResponse">Σ_t kl_t of each response (nats): shape (B,). <paramref name="MeanKl"/> is its
/// mean.</param>
/// <param name="MeanKl">Mean over sequences of Σ_t kl_t (nats per response): <c>objective/kl</c>.</param>
/// <param name="MeanNonScoreReward">Mean over sequences of Σ_t non_score_reward_t:
/// <c>objective/non_score_reward</c>.</param>
/// <param name="MeanScore">Mean score after the missing-EOS and overlong penalties, before normalization and clipping
/// (TRL): <c>objective/scores</c>.</param>
/// <param name="MeanRlhfReward"><paramref name="MeanNonScoreReward"/> + <paramref name="MeanScore"/> (TRL):
/// <c>objective/rlhf_reward</c>. Equal to the mean of Σ_t rewards_t unless scores are normalized or
/// clipped.</param>
/// <param name="NumEosTokens">Responses that ended with EOS (each holds exactly one):
/// <c>val/num_eos_tokens</c>.</param>
public sealed record RewardsResult(
    TokenBatch Rewards,
    TokenBatch NonScoreRewards,
    double[] Scores,
    double[] KlPerResponse,
    double MeanKl,
    double MeanNonScoreReward,
    double MeanScore,
    double MeanRlhfReward,
    int NumEosTokens)
{
    /// <summary>The diagnostics under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.ObjectiveKl] = MeanKl,
        [MetricNames.ObjectiveNonScoreReward] = MeanNonScoreReward,
        [MetricNames.ObjectiveScores] = MeanScore,
        [MetricNames.ObjectiveRlhfReward] = MeanRlhfReward,
        [MetricNames.ValNumEosTokens] = NumEosTokens,
    };
}
