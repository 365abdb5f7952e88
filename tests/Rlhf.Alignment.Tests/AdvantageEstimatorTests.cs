using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

[Collection(TorchCollection.Name)]
public sealed class AdvantageEstimatorTests(TorchFixtures fixtures)
{
    [TorchFact]
    public void GroupAdvantages_GrpoAndRloo_MatchTorchReference()
    {
        var c = fixtures.Case("group_advantages");
        var scores = c.Doubles("scores");
        var k = (int)c.Scalar("k");

        Numeric.Close(c.Doubles("grpo"), GroupAdvantages.Grpo(scores, k), "grpo");
        Numeric.Close(c.Doubles("grpo_no_std"), GroupAdvantages.Grpo(scores, k, scaleRewards: false), "grpo_no_std");
        Numeric.Close(c.Doubles("rloo"), GroupAdvantages.Rloo(scores, k), "rloo");
    }

    [TorchFact]
    public void ReinforcePlusPlus_DiscountedWhitened_MatchesTorchReference()
    {
        var c = fixtures.Case("reinforce_pp");

        var (advantages, returns) = ReinforcePlusPlus.Compute(c.Batch("rewards"), c.Scalar("gamma"));

        Numeric.Close(c.Batch("returns"), returns, "returns");
        Numeric.Close(c.Batch("advantages"), advantages, "advantages");
    }

    [TorchFact]
    public void ReinforcePlusPlusBaseline_GroupMeanThenGlobalWhitening_MatchesTorchReference()
    {
        var c = fixtures.Case("reinforce_pp_baseline");

        var (advantages, returns) = ReinforcePlusPlus.ComputeWithBaseline(c.Batch("non_score_rewards"),
            c.Doubles("scores"), c.Int("k"), c.Scalar("gamma"));

        Numeric.Close(c.Batch("returns"), returns, "returns");
        Numeric.Close(c.Batch("advantages"), advantages, "advantages");
    }

    [Fact]
    public void ReinforcePlusPlusBaseline_NoKlInRewardGammaOne_EveryTokenCarriesScoreMinusGroupMean()
    {
        // verl's reinforce_plus_plus_baseline: (s_i − mean(group)) broadcast to every token, then whitened.
        var zeros = TokenBatch.Zeros([2, 1, 3, 2]);
        double[] scores = [1.0, 3.0, -1.0, 0.0];

        var (_, returns) = ReinforcePlusPlus.ComputeWithBaseline(zeros, scores, groupSize: 2);

        Assert.Equal([-1.0, -1.0, 1.0, -0.5, -0.5, -0.5, 0.5, 0.5], returns.Data);
    }

    [Fact]
    public void FilterGroups_ZeroVarianceGroups_AreDropped()
    {
        var keep = GroupAdvantages.FilterGroups([1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.5], groupSize: 3);

        Assert.Equal([false, true, false], keep);
    }

    [Fact]
    public void Grpo_ScaleRewardsOff_OnlyTheGroupMeanIsRemoved()
    {
        Assert.Equal([-1.0, 1.0, -10.0, 10.0], GroupAdvantages.Grpo([1.0, 3.0, 0.0, 20.0], 2, scaleRewards: false));
    }

    [Fact]
    public void Rloo_GroupOfThree_ScoreMinusMeanOfOthers()
    {
        var advantages = GroupAdvantages.Rloo([1.0, 2.0, 6.0], 3);

        Assert.Equal([1.0 - 4.0, 2.0 - 3.5, 6.0 - 1.5], advantages);
    }

    [Fact]
    public void Grpo_GroupSizeOne_Throws()
    {
        Assert.Throws<ArgumentException>(() => GroupAdvantages.Grpo([1.0, 2.0], 1));
    }

    [Fact]
    public void Grpo_LengthNotMultipleOfGroup_Throws()
    {
        Assert.Throws<ArgumentException>(() => GroupAdvantages.Grpo([1.0, 2.0, 3.0], 2));
    }

    [Fact]
    public void Broadcast_PerSequenceAdvantage_RepeatsOnEveryToken()
    {
        var layout = TokenBatch.Zeros([2, 1]);

        var tokens = layout.Broadcast([0.5, -1.0]);

        Assert.Equal([0.5, 0.5, -1.0], tokens.Data);
    }
}
