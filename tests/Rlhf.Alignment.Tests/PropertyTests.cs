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
    public void PpoCompute_ClipHigherDualClipKlLossEveryAggregation_GradientMatchesFiniteDifferences()
    {
        var gen = from b in Generators.SameLayout(4, 0.4)
                  from mode in Gen.Elements(Enum.GetValues<LossAggMode>())
                  from kl in Gen.Elements<KlEstimator?>(null, KlEstimator.K1, KlEstimator.K2, KlEstimator.K3)
                  from mask in Gen.ArrayOf(b[0].BatchSize, Gen.Elements(true, true, false))
                  select (b, mode, kl, mask);
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (b, mode, kl, mask) = x;
            if (!mask.Any(m => m))
            {
                mask[0] = true;
            }

            var lp = b[0];
            var old = lp.WithData(lp.Data.Select((v, t) => v - b[1].Data[t]).ToArray());
            var adv = b[2].WithData(b[2].Data.Select(v => v * 5).ToArray());
            var options = new PpoLossOptions
            {
                CliprangeLow = 0.15,
                CliprangeHigh = 0.3,
                DualClipC = 1.3,
                Aggregation = mode == LossAggMode.SeqMeanTokenSumNorm
                    ? LossAggregation.SeqMeanTokenSumNorm(5)
                    : LossAggregation.Parse(LossAggregation.ConfigName(mode)),
                UseKlLoss = kl is not null,
                KlLossCoef = 0.3,
                KlLossType = kl ?? KlEstimator.K3,
            };
            var reference = b[3];
            var grad = PpoObjective.Compute(lp, old, adv, options, reference, mask).GradLogprobs;
            return FiniteDifference.Matches(lp.Data, grad.Data,
                () => PpoObjective.Compute(lp, old, adv, options, reference, mask).Loss);
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
    public void DpoCompute_EveryLossType_GradientsMatchFiniteDifferences()
    {
        var gen = from chosen in Generators.SameLayout(2, 1.0, -1.0)
                  from lengths in Gen.ArrayOf(chosen[0].BatchSize, Gen.Choose(1, 5))
                  from rejected in Gen.ArrayOf(2, Generators.Batch(lengths, 1.0, -1.0))
                  from lossType in Gen.Elements(Enum.GetValues<DpoLossType>())
                  select (chosen, rejected, lossType);
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (c, r, lossType) = x;
            var options = new DpoOptions
            {
                Beta = 0.5,
                LossType = lossType,
                LabelSmoothing = lossType is DpoLossType.Sigmoid or DpoLossType.Robust ? 0.1 : 0.0,
            };
            double Loss() => DpoObjective.Compute(c[0], r[0], c[1], r[1], options).Loss;
            var result = DpoObjective.Compute(c[0], r[0], c[1], r[1], options);
            return FiniteDifference.Matches(c[0].Data, result.GradChosenLogprobs.Data, Loss) &&
                   FiniteDifference.Matches(r[0].Data, result.GradRejectedLogprobs.Data, Loss);
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>The P3O gradient treats q and the importance weights as constants (stop-gradient), so the finite
    /// differences perturb the loss with those held at the centre point — the two-variable form of sg.</summary>
    [Fact]
    public void P3oCompute_EveryVariant_GradientsMatchFiniteDifferencesWithStopGradientsHeld()
    {
        var gen = from first in Generators.SameLayout(3, 0.3, -1.0)
                  from lengths in Gen.ArrayOf(first[0].BatchSize, Gen.Choose(1, 5))
                  from second in Gen.ArrayOf(3, Generators.Batch(lengths, 0.3, -1.0))
                  from rewards in Generators.Scores(2 * first[0].BatchSize, 2.0)
                  from variant in Gen.Choose(0, 2)
                  from tokenAverage in Gen.Elements(false, true)
                  select (first, second, rewards, variant, tokenAverage);
        Prop.ForAll(Arb.From(gen), x =>
        {
            var (a, b, rewards, variant, tokenAverage) = x;
            var pairs = a[0].BatchSize;
            // the current policy moved away from π_old: old = lp − noise
            var one = new P3oResponses(a[0], a[0].WithData(a[0].Data.Select((v, t) => v - a[1].Data[t]).ToArray()),
                a[2], rewards[..pairs]);
            var two = new P3oResponses(b[0], b[0].WithData(b[0].Data.Select((v, t) => v - b[1].Data[t]).ToArray()),
                b[2], rewards[pairs..]);
            var options = new P3oOptions
            {
                Clipping = variant == 0 ? P3oClipping.Separate : P3oClipping.Joint,
                ClipPerToken = variant == 2,
                TokenAverage = tokenAverage,
                CliprangeRatio = 1.5,
                KlCoef = 0.2,
            };
            var held = P3oObjective.StopGradients(one, two, options);
            var result = P3oObjective.Evaluate(one, two, options, held);
            double Loss() => P3oObjective.Evaluate(one, two, options, held).Loss;
            return FiniteDifference.Matches(one.Logprobs.Data, result.GradLogprobs1.Data, Loss) &&
                   FiniteDifference.Matches(two.Logprobs.Data, result.GradLogprobs2.Data, Loss);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void P3oCompute_RatiosAwayFromOne_GradientIsNotTheDerivativeThroughTheStopGradients()
    {
        // With ρ ≠ 1 and β > 0 the stop-gradients matter: differentiating through q and the weights (plain finite
        // differences of Compute) gives a different vector. Guards against an implementation that drops sg.
        var old1 = TokenBatch.FromRagged([[-1.0, -0.5]]);
        var old2 = TokenBatch.FromRagged([[-0.7]]);
        var one = new P3oResponses(old1.WithData([-0.9, -0.45]), old1, old1.WithData([-1.2, -0.6]), [1.0]);
        var two = new P3oResponses(old2.WithData([-0.75]), old2, old2.WithData([-0.5]), [0.0]);
        var options = new P3oOptions { KlCoef = 0.5, Cliprange = 0.5 };

        var result = P3oObjective.Compute(one, two, options);
        var held = P3oObjective.StopGradients(one, two, options);

        Assert.True(FiniteDifference.Matches(one.Logprobs.Data, result.GradLogprobs1.Data,
            () => P3oObjective.Evaluate(one, two, options, held).Loss));
        Assert.False(FiniteDifference.Matches(one.Logprobs.Data, result.GradLogprobs1.Data,
            () => P3oObjective.Compute(one, two, options).Loss));
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
            var entropy = EntropyBonus.Compute(x, 0.01, LossAggregation.SeqMeanTokenMean);
            var nll = SftObjective.Compute(x, LossAggregation.SeqMeanTokenSum);
            return FiniteDifference.Matches(x.Data, entropy.GradEntropy.Data,
                       () => EntropyBonus.Compute(x, 0.01, LossAggregation.SeqMeanTokenMean).Loss)
                   && FiniteDifference.Matches(x.Data, nll.GradLogprobs.Data,
                       () => SftObjective.Compute(x, LossAggregation.SeqMeanTokenSum).Loss);
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
