using System.Reflection;
using Rlhf.Alignment.Tests.Infrastructure;

namespace Rlhf.Alignment.Tests;

[Collection(TorchCollection.Name)]
public sealed class MetricNamesTests(TorchFixtures fixtures)
{
    /// <summary>TRL's metric names, copied from TRL's PPOTrainer (<c>trl/trainer/ppo_trainer.py</c>, the
    /// <c>metrics[...]</c> of <c>train()</c>) and DPOTrainer (<c>get_batch_loss_metrics</c>) for the quantities this
    /// product computes. If one of these is renamed, dashboards built for TRL break.</summary>
    private static readonly string[] TrlNames =
    [
        "objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward", "objective/scores",
        "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg", "val/clipfrac_avg",
        "policy/entropy_avg", "val/ratio", "val/ratio_var", "val/num_eos_tokens",
        "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
    ];

    private static string[] Constants() => typeof(MetricNames).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();

    [Fact]
    public void Constants_TrlNames_AllPresentVerbatim()
    {
        var missing = TrlNames.Except(Constants()).ToArray();

        Assert.True(missing.Length == 0, "missing TRL names: " + string.Join(", ", missing));
    }

    [Fact]
    public void Constants_Names_AreUniqueAndGroupSlashName()
    {
        var names = Constants();

        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z_0-9]+/[a-z_0-9]+$", n));
    }

    [Fact]
    public void Hints_EveryConstant_HasOneNonTrivialLine()
    {
        var names = Constants();

        Assert.Equal(names.Order(), MetricNames.Hints.Keys.Order());
        Assert.All(names, n =>
        {
            var hint = MetricNames.Hints[n];
            Assert.True(hint.Length >= 20, $"{n}: hint too short to help debugging: '{hint}'");
            Assert.DoesNotContain('\n', hint);
        });
    }

    [Fact]
    public void Hints_NoMetricsFromRemovedNames_OldApproxKlIsGone()
    {
        // policy/approxkl used to hold the k1 estimate; TRL's name for its own estimator is policy/approxkl_avg.
        Assert.DoesNotContain("policy/approxkl", MetricNames.Hints.Keys);
        Assert.DoesNotContain("policy/clipfrac", MetricNames.Hints.Keys);
        Assert.DoesNotContain("val/clipfrac", MetricNames.Hints.Keys);
    }

    [TorchFact]
    public void PolicyApproxKlAvg_Fixture_IsHalfMeanSquaredLogRatioAsTrl()
    {
        var c = fixtures.Case("ppo_token_mean");
        var logprobs = c.Batch("logprobs");
        var old = c.Batch("old_logprobs");

        var metrics = PpoObjective.Compute(logprobs, old, c.Batch("advantages")).ToMetrics();

        var halfMeanSquare = logprobs.Data.Select((v, t) => 0.5 * (v - old.Data[t]) * (v - old.Data[t])).Average();
        Numeric.Close(c.Scalar("approxkl"), metrics[MetricNames.PolicyApproxKlAvg], "policy/approxkl_avg vs torch");
        Numeric.Close(halfMeanSquare, metrics[MetricNames.PolicyApproxKlAvg], "policy/approxkl_avg vs ½·mean(d²)");
        Assert.NotEqual(metrics[MetricNames.PolicyApproxKlK1Avg], metrics[MetricNames.PolicyApproxKlAvg]);
    }

    [TorchFact]
    public void MinibatchMetrics_RatioMeans_ValRatioAndTrlVarianceAcrossMinibatches()
    {
        var c = fixtures.Case("minibatch_ratio");
        var stats = new MinibatchMetrics();
        foreach (var ratio in c.Doubles("ratio_means"))
        {
            stats.Add(new Dictionary<string, double> { [MetricNames.ValRatio] = ratio, [MetricNames.LossPolicyAvg] = 1 });
        }

        var metrics = stats.ToMetrics();

        Numeric.Close(c.Scalar("val_ratio"), metrics[MetricNames.ValRatio], "val/ratio");
        Numeric.Close(c.Scalar("val_ratio_var"), metrics[MetricNames.ValRatioVar], "val/ratio_var");
        Assert.Equal(1.0, metrics[MetricNames.LossPolicyAvg]);
    }

    [Fact]
    public void MinibatchMetrics_NameReportedByFewerMinibatches_AveragedOverThoseThatReportedIt()
    {
        var stats = new MinibatchMetrics();
        stats.Add(new Dictionary<string, double> { [MetricNames.LossPolicyAvg] = 1, [MetricNames.LossValueAvg] = 4 });
        stats.Add(new Dictionary<string, double> { [MetricNames.LossPolicyAvg] = 3, [MetricNames.ValRatio] = 1 });

        var metrics = stats.ToMetrics();

        Assert.Equal(2.0, metrics[MetricNames.LossPolicyAvg]);
        Assert.Equal(4.0, metrics[MetricNames.LossValueAvg]);
        Assert.True(double.IsNaN(metrics[MetricNames.ValRatioVar]), "one ratio sample has no unbiased variance");
        Assert.Equal(2, stats.Count);
    }

    [TorchFact]
    public void SequenceEntropy_Fixture_IsTrlsMeanOfSummedNegativeLogprobs()
    {
        var c = fixtures.Case("rollout");

        Numeric.Close(c.Scalar("sequence_entropy"), RolloutStatistics.SequenceEntropy(c.Batch("logprobs")),
            "objective/entropy");
    }
}
