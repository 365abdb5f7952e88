using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

[Collection(TorchCollection.Name)]
public sealed class PerTokenRewardsTests(TorchFixtures fixtures)
{
    [TorchFact]
    public void Compute_EosPenaltyOverlongPenaltyAndClip_MatchesTorchReference()
    {
        var c = fixtures.Case("rewards");
        var options = new RewardOptions
        {
            MissingEosPenalty = c.Scalar("missing_eos_penalty"),
            Overlong = new OverlongPenalty(c.Int("max_response_length"), c.Int("overlong_buffer_len"),
                c.Scalar("overlong_penalty_factor")),
            ScoreClip = c.Scalar("score_clip"),
        };

        var result = PerTokenRewards.Compute(c.Batch("kl"), c.Doubles("scores"), c.Scalar("kl_coef"),
            c.Bools("contains_eos"), options);

        Numeric.Close(c.Batch("rewards"), result.Rewards, "rewards");
        Numeric.Close(c.Batch("non_score_rewards"), result.NonScoreRewards, "non_score_rewards");
        Numeric.Close(c.Doubles("adjusted_scores"), result.Scores, "scores");
        Numeric.Close(c.Scalar("mean_kl"), result.MeanKl, "objective/kl");
        Numeric.Close(c.Scalar("mean_non_score_reward"), result.MeanNonScoreReward, "objective/non_score_reward");
        Numeric.Close(c.Scalar("mean_rlhf_reward"), result.MeanRlhfReward, "objective/rlhf_reward");
        Numeric.Close(c.Scalar("mean_score"), result.MeanScore, "objective/scores");
        Assert.Equal(c.Int("num_eos_tokens"), result.NumEosTokens);
        Assert.Equal((double)result.NumEosTokens, result.ToMetrics()[MetricNames.ValNumEosTokens]);
    }

    [Theory]
    [InlineData(10, 0.0)]   // L_max − L_cache = 12: no penalty up to 12 tokens
    [InlineData(12, 0.0)]
    [InlineData(14, -0.25)] // 2 of 4 buffer tokens used: −f·2/4
    [InlineData(16, -0.5)]  // at L_max: −f
    public void OverlongPenalty_Length_LinearInsideTheBufferDownToMinusFactor(int length, double expected)
    {
        var shaping = new OverlongPenalty(maxResponseLength: 16, overlongBufferLen: 4, overlongPenaltyFactor: 0.5);

        Assert.Equal(expected, shaping.Penalty(length), 15);
    }

    [Fact]
    public void OverlongPenalty_BufferLongerThanMax_ThrowsNamingTheKeys()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new OverlongPenalty(8, 9));

        Assert.Contains("overlong_buffer_len must lie in [1, max_new_tokens = 8]", e.Message);
    }

    [Fact]
    public void Compute_ScoreOnLastTokenOnly_OtherTokensCarryKlPenalty()
    {
        var kl = TokenBatch.FromRagged([[0.1, 0.2, 0.3], [0.4]]);

        var result = PerTokenRewards.Compute(kl, [1.0, -2.0], klCoef: 0.5);

        Assert.Equal([-0.05, -0.1, -0.15 + 1.0, -0.2 - 2.0], result.Rewards.Data, new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Compute_KlPerResponse_SequenceSumsWhoseMeanIsMeanKl()
    {
        var kl = TokenBatch.FromRagged([[0.1, 0.2, 0.3], [0.4]]);

        var result = PerTokenRewards.Compute(kl, [1.0, -2.0], klCoef: 0.5);

        Assert.Equal([0.6, 0.4], result.KlPerResponse, new ToleranceComparer(1e-15));
        Assert.Equal(result.KlPerResponse.Average(), result.MeanKl, 15);
    }

    [Fact]
    public void Compute_ReplaceModeWithoutEos_ScoreBecomesMinusPenalty()
    {
        var kl = TokenBatch.FromRagged([[0.0, 0.0], [0.0]]);
        var options = new RewardOptions { MissingEosPenalty = 1.0, MissingEosMode = MissingEosMode.Replace };

        var result = PerTokenRewards.Compute(kl, [5.0, 5.0], 0.1, [true, false], options);

        Assert.Equal([5.0, -1.0], result.Scores);
    }

    [Fact]
    public void Compute_OffsetModeWithoutEos_PenaltySubtractedFromScore()
    {
        var kl = TokenBatch.FromRagged([[0.0, 0.0], [0.0]]);
        var options = new RewardOptions { MissingEosPenalty = 1.0 };

        var result = PerTokenRewards.Compute(kl, [5.0, 5.0], 0.1, [true, false], options);

        Assert.Equal([5.0, 4.0], result.Scores);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Compute_NegativeOrNonFiniteMissingEosPenalty_Throws(double penalty)
    {
        var kl = TokenBatch.FromRagged([[0.0]]);
        var options = new RewardOptions { MissingEosPenalty = penalty };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PerTokenRewards.Compute(kl, [1.0], 0.1, [false], options));

        Assert.Contains("MissingEosPenalty must be finite and >= 0", e.Message);
    }

    [Fact]
    public void Compute_NormalizeScores_UsesRunningMomentsIncludingBatch()
    {
        var kl = TokenBatch.FromRagged([[0.0], [0.0], [0.0]]);
        var moments = new RunningMoments();
        var options = new RewardOptions { NormalizeScores = true };

        var result = PerTokenRewards.Compute(kl, [1.0, 2.0, 3.0], 0.0, null, options, moments);

        Assert.Equal([-1.0, 0.0, 1.0], result.Scores, new ToleranceComparer(1e-12)); // mean 2, unbiased std 1
        Assert.Equal(3, moments.Count);
    }

    [Fact]
    public void Compute_NormalizeWithoutMoments_Throws()
    {
        var kl = TokenBatch.FromRagged([[0.0]]);

        Assert.Throws<ArgumentException>(() =>
            PerTokenRewards.Compute(kl, [1.0], 0.1, null, new RewardOptions { NormalizeScores = true }));
    }

    [Fact]
    public void Compute_EmptyResponse_Throws()
    {
        var kl = TokenBatch.FromRagged([[0.1], []]);

        Assert.Throws<ArgumentException>(() => PerTokenRewards.Compute(kl, [1.0, 1.0], 0.1));
    }
}
