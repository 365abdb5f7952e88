namespace Rlhf.Alignment;

/// <summary>Output of <see cref="PerTokenRewards.Compute"/>.</summary>
/// <param name="Rewards">rewards_t = non_score_reward_t, plus the score on the last token. Layout of <c>kl</c>.</param>
/// <param name="NonScoreRewards">non_score_reward_t = −kl_coef·kl_t.</param>
/// <param name="Scores">The scores actually placed, after penalty, normalization and clipping: shape (B,).</param>
/// <param name="KlPerResponse">Σ_t kl_t of each response (nats): shape (B,). <paramref name="MeanKl"/> is its
/// mean.</param>
/// <param name="MeanKl">Mean over sequences of Σ_t kl_t (nats per response): <c>objective/kl</c>.</param>
/// <param name="MeanNonScoreReward">Mean over sequences of Σ_t non_score_reward_t:
/// <c>objective/non_score_reward</c>.</param>
/// <param name="MeanScore">Mean of the raw reward-model scores: <c>objective/scores</c>.</param>
/// <param name="MeanRlhfReward">Mean over sequences of Σ_t rewards_t: <c>objective/rlhf_reward</c>.</param>
public sealed record RewardsResult(
    TokenBatch Rewards,
    TokenBatch NonScoreRewards,
    double[] Scores,
    double[] KlPerResponse,
    double MeanKl,
    double MeanNonScoreReward,
    double MeanScore,
    double MeanRlhfReward)
{
    /// <summary>The diagnostics under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.ObjectiveKl] = MeanKl,
        [MetricNames.ObjectiveNonScoreReward] = MeanNonScoreReward,
        [MetricNames.ObjectiveScores] = MeanScore,
        [MetricNames.ObjectiveRlhfReward] = MeanRlhfReward,
    };
}
