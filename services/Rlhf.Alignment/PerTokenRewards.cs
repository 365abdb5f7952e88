using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// The KL-shaped per-token reward of InstructGPT (Ouyang et al. 2022, eq. 2; Ziegler et al. 2019 eq. 2):
/// rewards_t = −kl_coef·kl_t on every response token, and the (adjusted) reward-model score added on the last response
/// token — the EOS token when the response has one (ARCHITECTURE.md: EOS is part of the response and carries the
/// score).
/// </summary>
/// <remarks>
/// Sign convention (once, for the whole library): rewards, scores, advantages and returns are "higher is better";
/// every loss is minimized and every gradient is ∂loss/∂input. Padding does not exist in a <see cref="TokenBatch"/>,
/// so it carries nothing.
/// </remarks>
public static class PerTokenRewards
{
    /// <summary>Builds per-token rewards.</summary>
    /// <param name="kl">Per-token KL estimate (see <see cref="KlPenalty.Compute"/>), nats, B sequences.</param>
    /// <param name="scores">Reward-model score per response, shape (B,).</param>
    /// <param name="klCoef">β ≥ 0, reward units per nat.</param>
    /// <param name="containsEos">Per response: true when it ended with EOS, false for finish reason LENGTH; null
    /// means every response ended with EOS.</param>
    /// <param name="options">Score adjustments; null for none.</param>
    /// <param name="scoreMoments">Running score statistics, updated in place; required when
    /// <see cref="RewardOptions.NormalizeScores"/> is set.</param>
    /// <exception cref="ArgumentException">Lengths disagree, a response is empty, or normalization lacks
    /// moments.</exception>
    /// <remarks>The means follow TRL's PPOTrainer: <c>objective/scores</c> is the mean score after the missing-EOS (and
    /// overlong) penalties and before normalization and clipping, and <c>objective/rlhf_reward</c> =
    /// <c>objective/non_score_reward</c> + <c>objective/scores</c>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="klCoef"/> or
    /// <see cref="RewardOptions.MissingEosPenalty"/> is negative or not finite, or
    /// <see cref="RewardOptions.ScoreClip"/> is not positive.</exception>
    public static RewardsResult Compute(
        TokenBatch kl,
        ReadOnlySpan<double> scores,
        double klCoef,
        bool[]? containsEos = null,
        RewardOptions? options = null,
        RunningMoments? scoreMoments = null)
    {
        ArgumentNullException.ThrowIfNull(kl);
        options ??= new RewardOptions();
        var batch = kl.BatchSize;
        Numerics.EnsureSameLength(batch, scores.Length, nameof(scores));
        if (containsEos is not null)
        {
            Numerics.EnsureSameLength(batch, containsEos.Length, nameof(containsEos));
        }

        Numerics.EnsureFiniteNonNegative(klCoef, nameof(klCoef), "kl_coef");

        if (options.ScoreClip is { } scoreClip && !(scoreClip > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options), scoreClip, "ScoreClip must be positive.");
        }

        if (options.MissingEosPenalty is { } eosPenalty)
        {
            Numerics.EnsureFiniteNonNegative(eosPenalty, nameof(options), "MissingEosPenalty");
        }

        for (var i = 0; i < batch; i++)
        {
            if (kl.Length(i) == 0)
            {
                throw new ArgumentException($"response {i} has no tokens to carry its score.", nameof(kl));
            }
        }

        // 1. missing-EOS penalty
        var adjusted = scores.ToArray();
        if (options.MissingEosPenalty is { } penalty && containsEos is not null)
        {
            for (var i = 0; i < batch; i++)
            {
                if (!containsEos[i])
                {
                    adjusted[i] = options.MissingEosMode == MissingEosMode.Replace ? -penalty : adjusted[i] - penalty;
                }
            }
        }

        // 2. overlong penalty (DAPO)
        if (options.Overlong is { } overlong)
        {
            for (var i = 0; i < batch; i++)
            {
                adjusted[i] += overlong.Penalty(kl.Length(i));
            }
        }

        var penalized = Aggregation.Mean(adjusted);

        // 3. normalization with running moments (this batch included)
        if (options.NormalizeScores)
        {
            if (scoreMoments is null)
            {
                throw new ArgumentException("NormalizeScores needs a RunningMoments instance.", nameof(scoreMoments));
            }

            scoreMoments.Update(adjusted);
            var std = scoreMoments.Std;
            for (var i = 0; i < batch; i++)
            {
                adjusted[i] = (adjusted[i] - scoreMoments.Mean) / (std > 0 ? std : 1.0);
            }
        }

        // 4. clipping
        if (options.ScoreClip is { } clip)
        {
            for (var i = 0; i < batch; i++)
            {
                adjusted[i] = Math.Clamp(adjusted[i], -clip, clip);
            }
        }

        // 5. rewards: −β·kl everywhere, score on the last token
        var nonScore = new double[kl.TotalTokens];
        for (var t = 0; t < nonScore.Length; t++)
        {
            nonScore[t] = -klCoef * kl.Data[t];
        }

        var nonScoreBatch = kl.WithData(nonScore);
        var rewardsBatch = PlaceScores(nonScoreBatch, adjusted);
        var klPerResponse = kl.SequenceSums();
        var meanNonScore = Aggregation.Mean(nonScoreBatch.SequenceSums());
        return new RewardsResult(
            rewardsBatch,
            nonScoreBatch,
            adjusted,
            klPerResponse,
            Aggregation.Mean(klPerResponse),
            meanNonScore,
            penalized,
            meanNonScore + penalized,
            containsEos?.Count(e => e) ?? batch);
    }

    /// <summary>rewards_t = nonScoreRewards_t plus scores[i] on the last token of response i (a copy).</summary>
    /// <exception cref="ArgumentException">Lengths disagree or a response is empty.</exception>
    internal static TokenBatch PlaceScores(TokenBatch nonScoreRewards, ReadOnlySpan<double> scores)
    {
        Numerics.EnsureSameLength(nonScoreRewards.BatchSize, scores.Length, nameof(scores));
        var rewards = nonScoreRewards.Clone();
        var offsets = nonScoreRewards.Offsets;
        for (var i = 0; i < scores.Length; i++)
        {
            if (nonScoreRewards.Length(i) == 0)
            {
                throw new ArgumentException($"response {i} has no tokens to carry its score.", nameof(nonScoreRewards));
            }

            rewards.Data[offsets[i + 1] - 1] += scores[i];
        }

        return rewards;
    }
}
