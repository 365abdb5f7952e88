using FsCheck;
using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

/// <summary>FsCheck properties of the formulas and their gradients.</summary>
public sealed class PropertyTests
{
    [Fact]
    public void KlPenalty_LogprobsEqualRef_ZeroForEveryEstimator()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(1, 3.0, -3.0)), b =>
        {
            var lp = b[0];
            return Enum.GetValues<KlEstimator>().All(e =>
                KlPenalty.Compute(lp, lp.Clone(), e).Data.All(v => v == 0.0) &&
                (e == KlEstimator.K1 || KlPenalty.Gradient(lp, lp.Clone(), e).Data.All(v => v == 0.0)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void KlPenalty_Gradient_MatchesFiniteDifferences()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(2, 2.0, -2.0)), b =>
            Enum.GetValues<KlEstimator>().All(e =>
            {
                var grad = KlPenalty.Gradient(b[0], b[1], e);
                return FiniteDifference.Matches(b[0].Data, grad.Data,
                    () => KlPenalty.Compute(b[0], b[1], e).Data.Sum());
            })).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void PpoCompute_RatioClippedOnBindingSide_NoGradient()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(3, 1.0)), b =>
        {
            var (logprobs, oldLogprobs, advantages) = (b[0], b[1], b[2]);
            var result = PpoObjective.Compute(logprobs, oldLogprobs, advantages, new PpoLossOptions { Cliprange = 0.2 });
            for (var t = 0; t < logprobs.TotalTokens; t++)
            {
                var ratio = Math.Exp(logprobs.Data[t] - oldLogprobs.Data[t]);
                var a = advantages.Data[t];
                var binding = (a > 0 && ratio > 1.2) || (a < 0 && ratio < 0.8);
                if (binding && result.GradLogprobs.Data[t] != 0.0)
                {
                    return false;
                }

                if (!binding && a != 0 && result.GradLogprobs.Data[t] == 0.0)
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void PpoCompute_DualClipBothAggregations_GradientMatchesFiniteDifferences()
    {
        var gen = from b in Generators.SameLayout(3, 0.4)
                  from seqMean in Gen.Elements(false, true)
                  select (b, seqMean);
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (b, seqMean) = x;
            var lp = b[0];
            var old = lp.WithData(lp.Data.Select((v, t) => v - b[1].Data[t]).ToArray());
            var adv = b[2].WithData(b[2].Data.Select(v => v * 5).ToArray());
            var options = new PpoLossOptions
            {
                DualClip = 1.3,
                Aggregation = seqMean ? LossAggregation.SequenceMeanThenBatchMean : LossAggregation.TokenMean,
            };
            var grad = PpoObjective.Compute(lp, old, adv, options).GradLogprobs;
            return FiniteDifference.Matches(lp.Data, grad.Data, () => PpoObjective.Compute(lp, old, adv, options).Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void GrpoCompute_Gradient_MatchesFiniteDifferences()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(4, 0.5)), b =>
        {
            var (lp, old, reference, adv) = (b[0], b[1], b[2], b[3]);
            var options = new GrpoLossOptions { Beta = 0.3 };
            var grad = GrpoObjective.Compute(lp, old, reference, adv, options).GradLogprobs;
            return FiniteDifference.Matches(lp.Data, grad.Data,
                () => GrpoObjective.Compute(lp, old, reference, adv, options).Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ValueCompute_Gradient_MatchesFiniteDifferences()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(3, 1.0)), b =>
        {
            var (values, oldValues, returns) = (b[0], b[1], b[2]);
            var options = new ValueLossOptions { CliprangeValue = 0.3, VfCoef = 0.7 };
            var grad = ValueObjective.Compute(values, oldValues, returns, options).GradValues;
            return FiniteDifference.Matches(values.Data, grad.Data,
                () => ValueObjective.Compute(values, oldValues, returns, options).Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void DpoCompute_Gradients_MatchFiniteDifferences()
    {
        var gen = from chosen in Generators.SameLayout(2, 1.0, -1.0)
                  from lengths in Gen.ArrayOf(chosen[0].BatchSize, Gen.Choose(1, 5))
                  from rejected in Gen.ArrayOf(2, Generators.Batch(lengths, 1.0, -1.0))
                  select (chosen, rejected);
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (c, r) = x;
            double Loss() => DpoObjective.Compute(c[0], r[0], c[1], r[1], 0.5, 0.1).Loss;
            var result = DpoObjective.Compute(c[0], r[0], c[1], r[1], 0.5, 0.1);
            return FiniteDifference.Matches(c[0].Data, result.GradChosenLogprobs.Data, Loss) &&
                   FiniteDifference.Matches(r[0].Data, result.GradRejectedLogprobs.Data, Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void P3oCompute_BothVariants_GradientsMatchFiniteDifferences()
    {
        var gen = from first in Generators.SameLayout(2, 0.3, -1.0)
                  from lengths in Gen.ArrayOf(first[0].BatchSize, Gen.Choose(1, 5))
                  from second in Gen.ArrayOf(2, Generators.Batch(lengths, 0.3, -1.0))
                  from rewards in Generators.Scores(2 * first[0].BatchSize, 2.0)
                  from joint in Gen.Elements(false, true)
                  select (first, second, rewards, joint);
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (a, b, rewards, joint) = x;
            var pairs = a[0].BatchSize;
            var r1 = rewards[..pairs];
            var r2 = rewards[pairs..];
            var clipping = joint ? P3oClipping.Joint : P3oClipping.Separate;
            double Loss() => P3oObjective.Compute(a[0], a[1], b[0], b[1], r1, r2, 0.2, clipping).Loss;
            var result = P3oObjective.Compute(a[0], a[1], b[0], b[1], r1, r2, 0.2, clipping);
            return FiniteDifference.Matches(a[0].Data, result.GradLogprobs1.Data, Loss) &&
                   FiniteDifference.Matches(b[0].Data, result.GradLogprobs2.Data, Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RewardModelLosses_Gradients_MatchFiniteDifferences()
    {
        var gen = from k in Gen.Choose(2, 5)
                  from prompts in Gen.Choose(1, 3)
                  from scores in Generators.Scores(k * prompts, 5.0)
                  from margins in Generators.Scores(k * prompts, 1.0)
                  select (k, scores, margins.Select(Math.Abs).ToArray());
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (k, scores, margins) = x;
            var kwise = RewardModelObjective.KWise(scores, k);
            var half = scores.Length / 2;
            var chosen = scores[..half];
            var rejected = scores[half..(2 * half)];
            var m = margins[..half];
            var pairwise = RewardModelObjective.Pairwise(chosen, rejected, m);
            return FiniteDifference.Matches(scores, kwise.GradScores, () => RewardModelObjective.KWise(scores, k).Loss)
                && (half == 0 || (FiniteDifference.Matches(chosen, pairwise.GradChosen,
                        () => RewardModelObjective.Pairwise(chosen, rejected, m).Loss)
                    && FiniteDifference.Matches(rejected, pairwise.GradRejected,
                        () => RewardModelObjective.Pairwise(chosen, rejected, m).Loss)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void LinearLosses_EntropyAndNll_GradientsMatchFiniteDifferences()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(1, 2.0)), b =>
        {
            var x = b[0];
            var entropy = EntropyBonus.Compute(x, 0.01, LossAggregation.SequenceMeanThenBatchMean);
            var nll = BestOfN.NllLoss(x, LossAggregation.TokenMean);
            return FiniteDifference.Matches(x.Data, entropy.GradEntropy.Data,
                       () => EntropyBonus.Compute(x, 0.01, LossAggregation.SequenceMeanThenBatchMean).Loss)
                   && FiniteDifference.Matches(x.Data, nll.GradLogprobs.Data, () => BestOfN.NllLoss(x).Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void GaeCompute_GammaAndLamOne_EqualsRewardToGoMinusValue()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(2, 1.0)), b =>
        {
            var (rewards, values) = (b[0], b[1]);
            var (advantages, returns) = Gae.Compute(rewards, values, 1.0, 1.0);
            for (var i = 0; i < rewards.BatchSize; i++)
            {
                var r = rewards.Row(i);
                for (var t = 0; t < r.Length; t++)
                {
                    var rewardToGo = 0.0;
                    for (var s = t; s < r.Length; s++)
                    {
                        rewardToGo += r[s];
                    }

                    // Written so that NaN fails: NaN > tol would be false.
                    if (!(Math.Abs(advantages.Row(i)[t] - (rewardToGo - values.Row(i)[t])) <= 1e-12) ||
                        !(Math.Abs(returns.Row(i)[t] - rewardToGo) <= 1e-12))
                    {
                        return false;
                    }
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void MaskedWhiten_AnyBatch_ZeroMeanUnitUnbiasedVariance()
    {
        Prop.ForAll(Arb.From(Generators.SameLayout(1, 5.0, 2.0)), b =>
        {
            var x = b[0];
            var n = x.TotalTokens;
            var mean = x.Data.Average();
            var variance = x.Data.Sum(v => (v - mean) * (v - mean)) / (n - 1);
            if (n < 2 || variance < 1e-3)
            {
                return true; // whitening needs two tokens; σ² + 1e-8 ≉ σ² for tiny σ²
            }

            var w = Whitening.MaskedWhiten(x).Data;
            var wMean = w.Average();
            var wVar = w.Sum(v => (v - wMean) * (v - wMean)) / (n - 1);
            var unshifted = Whitening.MaskedWhiten(x, shiftMean: false).Data.Average();
            return Math.Abs(wMean) < 1e-9 && Math.Abs(wVar - 1) < 1e-5 && Math.Abs(unshifted - mean) < 1e-9;
        }).QuickCheckThrowOnFailure();
    }
}
