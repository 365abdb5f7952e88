using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

[Collection(TorchCollection.Name)]
public sealed class PolicyObjectiveTests(TorchFixtures fixtures)
{
    public static TheoryData<string> PpoCases =>
    [
        "ppo_token_mean", "ppo_seq_mean_dual_clip", "ppo_clip_higher_dual_clip", "ppo_seq_mean_token_sum",
        "ppo_seq_mean_token_sum_norm", "ppo_masked_truncated", "grpo", "grpo_token_mean", "kl_loss_k1", "kl_loss_k2",
        "kl_loss_abs",
    ];

    [TorchTheory]
    [MemberData(nameof(PpoCases))]
    public void PpoCompute_EveryOption_MatchesTorchAutograd(string name)
    {
        var c = fixtures.Case(name);
        var klLossType = c.NullableString("kl_loss_type");
        var options = new PpoLossOptions
        {
            CliprangeLow = c.Scalar("cliprange_low"),
            CliprangeHigh = c.Scalar("cliprange_high"),
            DualClipC = c.NullableScalar("dual_clip_c"),
            Aggregation = c.Aggregation(),
            UseKlLoss = klLossType is not null,
            KlLossCoef = c.Scalar("kl_loss_coef"),
            KlLossType = klLossType is null ? KlEstimator.K3 : KlPenalty.ParseEstimator(klLossType),
        };
        var mask = c.Bools("sequence_mask");

        var result = PpoObjective.Compute(c.Batch("logprobs"), c.Batch("old_logprobs"), c.Batch("advantages"), options,
            c.Batch("ref_logprobs"), mask.All(m => m) ? null : mask);

        Numeric.Close(c.Scalar("loss"), result.Loss, name + " loss");
        Numeric.Close(c.Scalar("pg_loss"), result.PgLoss, name + " pg_loss");
        Numeric.Close(c.Scalar("kl_loss"), result.KlLoss, name + " kl_loss");
        Numeric.Close(c.Batch("grad"), result.GradLogprobs, name + " grad_logprobs");
        Numeric.Close(c.Scalar("approxkl"), result.ApproxKl, name + " approxkl");
        Numeric.Close(c.Scalar("approxkl_k1"), result.ApproxKlK1, name + " approxkl_k1");
        Numeric.Close(c.Scalar("approxkl_k3"), result.ApproxKlK3, name + " approxkl_k3");
        Numeric.Close(c.Scalar("clipfrac"), result.ClipFrac, name + " clipfrac");
        Numeric.Close(c.Scalar("dual_clipfrac"), result.DualClipFrac, name + " dual_clipfrac");
        Numeric.Close(c.Scalar("ratio_mean"), result.RatioMean, name + " ratio_mean");
        Numeric.Close(c.Scalar("ratio_var"), result.RatioTokenVar, name + " ratio_token_var");
    }

    [TorchFact]
    public void PpoCompute_GrpoPreset_EqualsTheExplicitOptionsOfTheGrpoFixture()
    {
        var c = fixtures.Case("grpo");

        var result = PpoObjective.Compute(c.Batch("logprobs"), c.Batch("old_logprobs"), c.Batch("advantages"),
            PpoLossOptions.Grpo(c.Scalar("kl_loss_coef")), c.Batch("ref_logprobs"));

        Numeric.Close(c.Scalar("loss"), result.Loss, "grpo loss");
        Numeric.Close(c.Batch("grad"), result.GradLogprobs, "grpo grad");
    }

    [TorchFact]
    public void PpoCompute_MaskedSequences_GetExactlyZeroGradient()
    {
        var c = fixtures.Case("ppo_masked_truncated");
        var mask = c.Bools("sequence_mask");

        var result = PpoObjective.Compute(c.Batch("logprobs"), c.Batch("old_logprobs"), c.Batch("advantages"),
            sequenceMask: mask);

        for (var i = 0; i < mask.Length; i++)
        {
            Assert.Equal(mask[i], result.GradLogprobs.Row(i).ToArray().Any(g => g != 0));
        }
    }

    [TorchFact]
    public void EntropyBonusCompute_SeqMean_MatchesTorchAutograd()
    {
        var c = fixtures.Case("entropy");

        var result = EntropyBonus.Compute(c.Batch("entropy"), c.Scalar("ent_coef"), LossAggregation.SeqMeanTokenMean);

        Numeric.Close(c.Scalar("loss"), result.Loss, "loss");
        Numeric.Close(c.Batch("grad"), result.GradEntropy, "grad_entropy");
        Numeric.Close(c.Scalar("mean_entropy"), result.MeanEntropy, "mean_entropy");
    }

    [Fact]
    public void PpoCompute_EqualLogprobs_RatioOneAndNoClipping()
    {
        var lp = TokenBatch.FromRagged([[-1.0, -2.0], [-0.5]]);
        var adv = TokenBatch.FromRagged([[1.0, -1.0], [2.0]]);

        var result = PpoObjective.Compute(lp, lp.Clone(), adv);

        Assert.Equal(1.0, result.RatioMean, 15);
        Assert.Equal(0.0, result.RatioTokenVar, 15);
        Assert.Equal(0.0, result.ClipFrac);
        Assert.Equal(0.0, result.ApproxKl);
        Assert.Equal(-(1.0 - 1.0 + 2.0) / 3, result.Loss, 15);
        Assert.Equal([-1.0 / 3, 1.0 / 3, -2.0 / 3], result.GradLogprobs.Data, new ToleranceComparer(1e-15));
    }

    [Theory]
    [InlineData(1.25, 0.2, 0.28, false)]  // inside [1 − 0.2, 1 + 0.28]: clip-higher keeps the gradient
    [InlineData(1.25, 0.2, 0.2, true)]    // above 1 + 0.2 with A > 0: clipped, no gradient
    public void PpoCompute_ClipHigher_RaisesOnlyTheUpperBound(double ratio, double low, double high, bool clipped)
    {
        var old = TokenBatch.FromRagged([[-1.0]]);
        var lp = old.WithData([-1.0 + Math.Log(ratio)]);
        var adv = old.WithData([1.0]);

        var result = PpoObjective.Compute(lp, old, adv, new PpoLossOptions { CliprangeLow = low, CliprangeHigh = high });

        Assert.Equal(clipped ? 1.0 : 0.0, result.ClipFrac);
        Assert.Equal(clipped ? 0.0 : -ratio, result.GradLogprobs.Data[0], 12);
    }

    [Fact]
    public void PpoCompute_DualClip_CapsNegativeAdvantageLossAtMinusCTimesA()
    {
        var old = TokenBatch.FromRagged([[0.0]]);
        var lp = old.WithData([Math.Log(5.0)]);   // ratio 5, far above 1 + ε
        var adv = old.WithData([-1.0]);

        var result = PpoObjective.Compute(lp, old, adv, new PpoLossOptions { DualClipC = 3.0 });

        Assert.Equal(3.0, result.Loss, 15);        // min(max(5, 1.2), 3)
        Assert.Equal(1.0, result.DualClipFrac);
        Assert.Equal(0.0, result.GradLogprobs.Data[0]);
    }

    [Fact]
    public void PpoCompute_KlLossWithoutRefLogprobs_ThrowsNamingTheKey()
    {
        var x = TokenBatch.FromRagged([[0.0]]);

        var e = Assert.Throws<ArgumentException>(() =>
            PpoObjective.Compute(x, x, x, new PpoLossOptions { UseKlLoss = true }));

        Assert.Contains("use_kl_loss needs ref_logprobs", e.Message);
    }

    [Fact]
    public void PpoCompute_MaskExcludingEverySequence_ThrowsAskingToSkipTheMinibatch()
    {
        var x = TokenBatch.FromRagged([[0.0], [0.1]]);

        var e = Assert.Throws<ArgumentException>(() => PpoObjective.Compute(x, x, x, sequenceMask: [false, false]));

        Assert.Contains("skip this minibatch", e.Message);
    }

    [Fact]
    public void PpoCompute_SeqMeanTokenSumNormShorterThanAResponse_Throws()
    {
        var x = TokenBatch.FromRagged([[0.0, 0.1, 0.2]]);
        var options = new PpoLossOptions { Aggregation = LossAggregation.SeqMeanTokenSumNorm(2) };

        var e = Assert.Throws<ArgumentException>(() => PpoObjective.Compute(x, x, x, options));

        Assert.Contains("more than the length L = 2", e.Message);
    }

    [Theory]
    [InlineData(0.0, null, null)]
    [InlineData(0.2, 1.0, null)]
    [InlineData(0.2, null, 1.0)]
    public void PpoCompute_InvalidClipOptions_Throw(double cliprange, double? low, double? dualClipC)
    {
        var x = TokenBatch.FromRagged([[0.0]]);
        var options = new PpoLossOptions { Cliprange = cliprange, CliprangeLow = low, DualClipC = dualClipC };

        Assert.Throws<ArgumentOutOfRangeException>(() => PpoObjective.Compute(x, x, x, options));
    }

    [Fact]
    public void LossAggregation_SameLossesDifferentLengths_WeighTokensAsEachModeSays()
    {
        // Two sequences of 1 and 3 tokens, every token loss −A·ratio = −1 (A = 1, ratio 1): the aggregated pg_loss is
        // −(Σ_t w_t) — token-mean and seq-mean-token-mean give −1, seq-mean-token-sum −(1 + 3)/2, norm −4/(2·4).
        var x = TokenBatch.FromRagged([[0.0], [0.0, 0.0, 0.0]]);
        var adv = x.WithData([1.0, 1.0, 1.0, 1.0]);
        double Loss(LossAggregation a) => PpoObjective.Compute(x, x, adv, new PpoLossOptions { Aggregation = a }).Loss;

        Assert.Equal(-1.0, Loss(LossAggregation.TokenMean), 15);
        Assert.Equal(-1.0, Loss(LossAggregation.SeqMeanTokenMean), 15);
        Assert.Equal(-2.0, Loss(LossAggregation.SeqMeanTokenSum), 15);
        Assert.Equal(-0.5, Loss(LossAggregation.SeqMeanTokenSumNorm(4)), 15);
        var grad = PpoObjective.Compute(x, x, adv, new PpoLossOptions { Aggregation = LossAggregation.SeqMeanTokenMean })
            .GradLogprobs.Data;
        Assert.Equal([-0.5, -1.0 / 6, -1.0 / 6, -1.0 / 6], grad, new ToleranceComparer(1e-15));
    }

    [Theory]
    [InlineData("token-mean", LossAggMode.TokenMean)]
    [InlineData("seq-mean-token-sum", LossAggMode.SeqMeanTokenSum)]
    [InlineData("seq-mean-token-mean", LossAggMode.SeqMeanTokenMean)]
    [InlineData("seq-mean-token-sum-norm", LossAggMode.SeqMeanTokenSumNorm)]
    public void LossAggregationParse_VerlNames_RoundTrip(string name, LossAggMode mode)
    {
        var aggregation = LossAggregation.Parse(name, maxResponseLength: 64);

        Assert.Equal(mode, aggregation.Mode);
        Assert.Equal(name, LossAggregation.ConfigName(aggregation.Mode));
    }

    [Fact]
    public void LossAggregationParse_UnknownOrNormWithoutLength_ThrowsListingTheNames()
    {
        var unknown = Assert.Throws<ArgumentException>(() => LossAggregation.Parse("token_mean"));
        var noLength = Assert.Throws<ArgumentException>(() => LossAggregation.Parse("seq-mean-token-sum-norm"));

        Assert.Contains("token-mean | seq-mean-token-sum | seq-mean-token-mean | seq-mean-token-sum-norm", unknown.Message);
        Assert.Contains("max_new_tokens", noLength.Message);
    }

    [Theory]
    [InlineData("kl", KlEstimator.K1)]
    [InlineData("mse", KlEstimator.K2)]
    [InlineData("low_var_kl", KlEstimator.K3)]
    [InlineData("abs", KlEstimator.Abs)]
    [InlineData("k3", KlEstimator.K3)]
    public void ParseEstimator_VerlAndLibraryNames_MapToTheEstimator(string name, KlEstimator expected)
    {
        Assert.Equal(expected, KlPenalty.ParseEstimator(name));
    }

    [Fact]
    public void ToMetrics_PolicyResult_UsesTrlNames()
    {
        var x = TokenBatch.FromRagged([[0.0, 0.1]]);

        var metrics = PpoObjective.Compute(x, x, x).ToMetrics();

        Assert.Contains(MetricNames.PolicyApproxKlAvg, metrics.Keys);
        Assert.Contains(MetricNames.PolicyClipFracAvg, metrics.Keys);
        Assert.Equal(1.0, metrics[MetricNames.ValRatio], 15);
    }
}
