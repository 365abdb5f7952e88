using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

[Collection(TorchCollection.Name)]
public sealed class PreferenceObjectiveTests(TorchFixtures fixtures)
{
    public static TheoryData<string> DpoCases => ["dpo", "dpo_label_smoothing", "dpo_robust", "dpo_hinge", "dpo_ipo"];

    public static TheoryData<string> P3oCases =>
    [
        "p3o_separate", "p3o_separate_token_average", "p3o_joint", "p3o_joint_token_average", "p3o_joint_per_token",
        "p3o_joint_per_token_token_average",
    ];

    [TorchTheory]
    [MemberData(nameof(DpoCases))]
    public void DpoCompute_EveryLossType_MatchesTorchAutogradAndTrlMetrics(string name)
    {
        var c = fixtures.Case(name);
        var options = new DpoOptions
        {
            Beta = c.Scalar("beta"),
            LossType = Enum.Parse<DpoLossType>(c.String("loss_type"), ignoreCase: true),
            LabelSmoothing = c.Scalar("label_smoothing"),
        };

        var result = DpoObjective.Compute(c.Batch("chosen_logprobs"), c.Batch("rejected_logprobs"),
            c.Batch("ref_chosen_logprobs"), c.Batch("ref_rejected_logprobs"), options);

        Numeric.Close(c.Scalar("loss"), result.Loss, name + " loss");
        Numeric.Close(c.Batch("grad_chosen"), result.GradChosenLogprobs, name + " grad_chosen");
        Numeric.Close(c.Batch("grad_rejected"), result.GradRejectedLogprobs, name + " grad_rejected");
        var metrics = result.ToMetrics();
        Numeric.Close(c.Scalar("rewards_chosen"), metrics[MetricNames.RewardsChosen], name + " rewards/chosen");
        Numeric.Close(c.Scalar("rewards_rejected"), metrics[MetricNames.RewardsRejected], name + " rewards/rejected");
        Numeric.Close(c.Scalar("rewards_accuracies"), metrics[MetricNames.RewardsAccuracies], name + " accuracies");
        Numeric.Close(c.Scalar("rewards_margins"), metrics[MetricNames.RewardsMargins], name + " rewards/margins");
        Numeric.Close(c.Scalar("logps_chosen"), metrics[MetricNames.LogpsChosen], name + " logps/chosen");
        Numeric.Close(c.Scalar("logps_rejected"), metrics[MetricNames.LogpsRejected], name + " logps/rejected");
    }

    [TorchFact]
    public void DpoCompute_Hinge_PairsBeyondTheMarginGetNoGradient()
    {
        var c = fixtures.Case("dpo_hinge");

        var result = DpoObjective.Compute(c.Batch("chosen_logprobs"), c.Batch("rejected_logprobs"),
            c.Batch("ref_chosen_logprobs"), c.Batch("ref_rejected_logprobs"),
            new DpoOptions { Beta = c.Scalar("beta"), LossType = DpoLossType.Hinge });

        var withGradient = Enumerable.Range(0, result.GradChosenLogprobs.BatchSize)
            .Count(i => result.GradChosenLogprobs.Row(i).ToArray().Any(g => g != 0));
        Assert.Equal(c.Int("hinge_active"), withGradient);
        Assert.InRange(withGradient, 1, result.GradChosenLogprobs.BatchSize - 1);
    }

    [TorchTheory]
    [MemberData(nameof(P3oCases))]
    public void P3oCompute_EveryVariantWithRatiosAwayFromOne_MatchesIndependentTorchAutograd(string name)
    {
        var c = fixtures.Case(name);

        var result = P3oObjective.Compute(First(c), Second(c), Options(c));

        Numeric.Close(c.Scalar("loss"), result.Loss, name + " loss");
        Numeric.Close(c.Batch("grad1"), result.GradLogprobs1, name + " grad1");
        Numeric.Close(c.Batch("grad2"), result.GradLogprobs2, name + " grad2");
        Numeric.Close(c.Scalar("clipfrac"), result.ClipFrac, name + " clipfrac");
        Numeric.Close(c.Scalar("approxkl"), result.ApproxKl, name + " approxkl");
        Numeric.Close(c.Scalar("q_abs_mean"), result.QAbsMean, name + " q_abs_mean");
        Numeric.Close(c.Scalar("ratio_mean"), result.RatioMean, name + " ratio_mean");
        Assert.True(c.Scalar("ratio_min") < 0.9 && c.Scalar("ratio_max") > 1.1, $"{name}: the fixture's ρ stay near 1");
    }

    [Fact]
    public void P3oCompute_OnPolicy_SeparateJointAndPerTokenGiveTheorem1Gradient()
    {
        // π = π_old (every ρ = 1): all variants reduce to ½·q·∇(log π(y_2) − log π(y_1)) per pair, averaged over pairs.
        var lp1 = TokenBatch.FromRagged([[-1.0, -0.5], [-2.0]]);
        var lp2 = TokenBatch.FromRagged([[-0.7], [-0.3, -1.1, -0.4]]);
        var ref1 = lp1.WithData([-1.2, -0.4, -1.5]);
        var ref2 = lp2.WithData([-0.9, -0.3, -1.0, -0.6]);
        var first = new P3oResponses(lp1, lp1.Clone(), ref1, [1.0, -0.5]);
        var second = new P3oResponses(lp2, lp2.Clone(), ref2, [0.2, 0.5]);
        const double beta = 0.1;
        double Q(int i) => first.Scores[i] - second.Scores[i]
            - beta * (lp1.SequenceSums()[i] - ref1.SequenceSums()[i] - (lp2.SequenceSums()[i] - ref2.SequenceSums()[i]));

        foreach (var options in new[]
                 {
                     new P3oOptions { Clipping = P3oClipping.Separate, KlCoef = beta },
                     new P3oOptions { Clipping = P3oClipping.Joint, KlCoef = beta },
                     new P3oOptions { Clipping = P3oClipping.Joint, KlCoef = beta, ClipPerToken = true },
                 })
        {
            var result = P3oObjective.Compute(first, second, options);

            for (var i = 0; i < 2; i++)
            {
                Assert.All(result.GradLogprobs1.Row(i).ToArray(), g => Assert.Equal(-0.5 * Q(i) / 2, g, 14));
                Assert.All(result.GradLogprobs2.Row(i).ToArray(), g => Assert.Equal(0.5 * Q(i) / 2, g, 14));
            }

            Assert.Equal(0.0, result.ClipFrac);
            Assert.Equal(1.0, result.RatioMean, 15);
        }
    }

    [Fact]
    public void P3oCompute_JointPerTokenNothingClipped_EqualsJointGradient()
    {
        var old1 = TokenBatch.FromRagged([[-1.0, -0.5, -0.2]]);
        var old2 = TokenBatch.FromRagged([[-0.7, -0.9]]);
        var lp1 = old1.WithData([-0.95, -0.52, -0.18]);   // every token within ε = 0.2, and |D − D_old| < ε
        var lp2 = old2.WithData([-0.72, -0.88]);
        var first = new P3oResponses(lp1, old1, old1.Clone(), [2.0]);
        var second = new P3oResponses(lp2, old2, old2.Clone(), [0.0]);

        var joint = P3oObjective.Compute(first, second, new P3oOptions());
        var perToken = P3oObjective.Compute(first, second, new P3oOptions { ClipPerToken = true });

        Numeric.Close(joint.GradLogprobs1, perToken.GradLogprobs1, "grad1");
        Numeric.Close(joint.GradLogprobs2, perToken.GradLogprobs2, "grad2");
        Assert.Equal(0.0, perToken.ClipFrac);
    }

    [Fact]
    public void P3oCompute_EqualRewardsAndNoKl_ZeroLossAndGradient()
    {
        var a = TokenBatch.FromRagged([[-1.0, -0.3]]);
        var b = TokenBatch.FromRagged([[-0.7]]);

        var result = P3oObjective.Compute(new P3oResponses(a, a.Clone(), a.Clone(), [1.0]),
            new P3oResponses(b, b.Clone(), b.Clone(), [1.0]));

        Assert.Equal(0.0, result.Loss);
        Assert.All(result.GradLogprobs1.Data, g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void P3oCompute_PerTokenClippingWithSeparate_ThrowsNamingTheKeys()
    {
        var a = TokenBatch.FromRagged([[-1.0]]);
        var side = new P3oResponses(a, a, a, [1.0]);

        var e = Assert.Throws<ArgumentException>(() => P3oObjective.Compute(side, side,
            new P3oOptions { Clipping = P3oClipping.Separate, ClipPerToken = true }));

        Assert.Contains("p3o_clip: joint only", e.Message);
    }

    [Theory]
    [InlineData(1.0, 0.2, 0.05)]
    [InlineData(10.0, 1.0, 0.05)]
    [InlineData(10.0, 0.2, -1.0)]
    public void P3oCompute_OutOfRangeOptions_Throw(double cliprangeRatio, double cliprange, double klCoef)
    {
        var a = TokenBatch.FromRagged([[-1.0]]);
        var side = new P3oResponses(a, a, a, [1.0]);
        var options = new P3oOptions { CliprangeRatio = cliprangeRatio, Cliprange = cliprange, KlCoef = klCoef };

        Assert.Throws<ArgumentOutOfRangeException>(() => P3oObjective.Compute(side, side, options));
    }

    [Fact]
    public void DpoCompute_PolicyEqualsReference_LossIsLog2()
    {
        var chosen = TokenBatch.FromRagged([[-1.0, -2.0]]);
        var rejected = TokenBatch.FromRagged([[-0.5]]);

        var result = DpoObjective.Compute(chosen, rejected, chosen.Clone(), rejected.Clone());

        Assert.Equal(Math.Log(2), result.Loss, 14);
        Assert.Equal([-0.05, -0.05], result.GradChosenLogprobs.Data, new ToleranceComparer(1e-15));
        Assert.Equal(0.0, result.Metrics.RewardsAccuracies);
    }

    [Theory]
    [InlineData(DpoLossType.Hinge, 0.1)]
    [InlineData(DpoLossType.Ipo, 0.1)]
    public void DpoCompute_LabelSmoothingWithHingeOrIpo_Throws(DpoLossType lossType, double labelSmoothing)
    {
        var x = TokenBatch.FromRagged([[-1.0]]);

        var e = Assert.Throws<ArgumentException>(() => DpoObjective.Compute(x, x, x, x,
            new DpoOptions { LossType = lossType, LabelSmoothing = labelSmoothing }));

        Assert.Contains("sigmoid and robust only", e.Message);
    }

    [Fact]
    public void DpoCompute_RobustWithHalfLabelSmoothing_Throws()
    {
        var x = TokenBatch.FromRagged([[-1.0]]);

        Assert.Throws<ArgumentOutOfRangeException>(() => DpoObjective.Compute(x, x, x, x,
            new DpoOptions { LossType = DpoLossType.Robust, LabelSmoothing = 0.5 }));
    }

    [Fact]
    public void ComputeMetrics_SequenceLogps_ImplicitRewardsAccuracyAndMargin()
    {
        var metrics = DpoObjective.ComputeMetrics([-1.0, -3.0], [-2.0, -1.0], [-1.5, -2.0], [-1.5, -1.5], beta: 0.5);

        Assert.Equal((0.25 - 0.5) / 2, metrics.RewardsChosen, 15);    // β(π_c − ref_c) = 0.25, −0.5
        Assert.Equal((-0.25 + 0.25) / 2, metrics.RewardsRejected, 15); // −0.25, 0.25
        Assert.Equal(0.5, metrics.RewardsAccuracies);
        Assert.Equal(metrics.RewardsChosen - metrics.RewardsRejected, metrics.RewardsMargins, 15);
        Assert.Equal(-2.0, metrics.LogpsChosen);
        Assert.Equal(-1.5, metrics.LogpsRejected);
    }

    internal static P3oResponses First(FixtureCase c) => new(c.Batch("logprobs1"), c.Batch("old_logprobs1"),
        c.Batch("ref_logprobs1"), c.Doubles("rewards1"));

    internal static P3oResponses Second(FixtureCase c) => new(c.Batch("logprobs2"), c.Batch("old_logprobs2"),
        c.Batch("ref_logprobs2"), c.Doubles("rewards2"));

    internal static P3oOptions Options(FixtureCase c) => new()
    {
        Clipping = c.String("clipping") == "separate" ? P3oClipping.Separate : P3oClipping.Joint,
        TokenAverage = c.Bool("token_average"),
        ClipPerToken = c.Bool("per_token"),
        KlCoef = c.Scalar("kl_coef"),
        Cliprange = c.Scalar("cliprange"),
        CliprangeRatio = c.Scalar("cliprange_ratio"),
    };
}
