using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

[Collection(TorchCollection.Name)]
public sealed class BestOfNTests(TorchFixtures fixtures)
{
    [TorchFact]
    public void SelectBestAndSftNll_MatchTorchReference()
    {
        var c = fixtures.Case("nll");

        var best = BestOfN.SelectBest(c.Doubles("scores"), c.Int("n"));
        var aboveThreshold = BestOfN.SelectBest(c.Doubles("scores"), c.Int("n"), c.Scalar("threshold"));
        var nll = SftObjective.Compute(c.Batch("logprobs"));

        Assert.Equal(c.Ints("best"), best);
        Assert.Equal(c.Ints("best_above_threshold"), aboveThreshold);
        Assert.True(aboveThreshold.Length < best.Length, "the threshold should drop a prompt in this fixture");
        Numeric.Close(c.Scalar("loss"), nll.Loss, "nll loss");
        Numeric.Close(c.Batch("grad"), nll.GradLogprobs, "nll grad");
        Assert.Equal(c.Int("num_tokens"), nll.NumTokens);
        Assert.Equal(nll.Loss, nll.ToMetrics()[MetricNames.LossNll]);
    }

    [Fact]
    public void SelectBest_Ties_PicksFirst()
    {
        Assert.Equal([0, 3], BestOfN.SelectBest([2.0, 2.0, 1.0, 5.0, 0.0, 5.0], 3));
    }

    [Fact]
    public void SelectBest_ThresholdAboveEveryScore_KeepsNothing()
    {
        Assert.Empty(BestOfN.SelectBest([2.0, 1.0, 0.5, 0.7], 2, minScore: 3.0));
    }

    [Fact]
    public void SftCompute_NoCompletionTokens_Throws()
    {
        Assert.Throws<ArgumentException>(() => SftObjective.Compute(TokenBatch.FromRagged([System.Array.Empty<double>()])));
    }
}
