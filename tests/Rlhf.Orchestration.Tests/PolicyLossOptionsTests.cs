using Rlhf.Alignment;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;

namespace Rlhf.Orchestration.Tests;

/// <summary>
/// PpoConfig.PolicyLossOptions: the algorithm's loss by default (so existing configs train exactly as before), and
/// every loss key, when set, reaching the options PpoObjective receives.
/// </summary>
public sealed class PolicyLossOptionsTests
{
    private static PpoConfig Load(params string[] overrides) =>
        ConfigLoader.Parse<PpoConfig>("policy_model: p.bin\nreward_model: r.bin\ntokenizer: t.bin\nprompts:\n  path: s.txt\n", Path.GetTempPath(), overrides);

    [Fact]
    public void Defaults_Ppo_IsThePlainClippedSurrogate()
    {
        var options = Load("cliprange=0.3").PolicyLossOptions(klCoef: 0.05);

        Assert.Equal(new PpoLossOptions { Cliprange = 0.3 }, options);
    }

    [Fact]
    public void Defaults_Grpo_IsTheGrpoLossWithTheControllersBeta()
    {
        var options = Load("algorithm=grpo", "num_samples_per_prompt=4").PolicyLossOptions(klCoef: 0.04);

        Assert.Equal(PpoLossOptions.Grpo(0.04), options);
    }

    [Fact]
    public void EveryLossKey_ReachesTheOptions()
    {
        var config = Load("algorithm=grpo", "num_samples_per_prompt=4", "max_new_tokens=48", "cliprange_low=0.2", "cliprange_high=0.28",
            "dual_clip_c=3", "loss_agg_mode=seq-mean-token-sum-norm", "use_kl_loss=false", "kl_loss_type=k2");

        var options = config.PolicyLossOptions(klCoef: 0.04);

        Assert.Equal(0.2, options.EffectiveCliprangeLow);
        Assert.Equal(0.28, options.EffectiveCliprangeHigh);
        Assert.Equal(3, options.DualClipC);
        Assert.Equal(LossAggregation.SeqMeanTokenSumNorm(48), options.Aggregation);
        Assert.False(options.UseKlLoss);
        Assert.Equal(KlEstimator.K2, options.KlLossType);
    }

    [Fact]
    public void LossKeys_AreWrittenToConfigYamlWithTheirDescriptions()
    {
        var yaml = ConfigYaml.Serialize(Load("loss_agg_mode=token-mean", "cliprange_high=0.28"));

        Assert.Contains("loss_agg_mode: \"token-mean\"", yaml, StringComparison.Ordinal);
        Assert.Contains("cliprange_high: 0.28", yaml, StringComparison.Ordinal);
        Assert.Contains("Dual-clip PPO", yaml, StringComparison.Ordinal);
        Assert.Contains("mask_truncated_completions: false", yaml, StringComparison.Ordinal);
    }
}
