using Rlhf.Alignment;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Gates;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>
/// End to end (issue 6, item 5): a few PPO iterations on stories260K over the four services on loopback, and GRPO and
/// RLOO. The resume contract is in <see cref="PpoResumeTests"/>.
/// </summary>
public sealed class PpoRunTests
{
    internal static readonly string[] StandardMetrics =
    [
        MetricNames.ObjectiveKl, MetricNames.ObjectiveScores, MetricNames.ObjectiveKlCoef, MetricNames.ObjectiveEntropy,
        MetricNames.ObjectiveNonScoreReward, MetricNames.ObjectiveRlhfReward, MetricNames.LossPolicyAvg,
        MetricNames.PolicyApproxKlAvg, MetricNames.PolicyClipFracAvg, MetricNames.ValAdvantagesMean, "policy/grad_norm",
        "env/response_length", "timing/iteration_s",
    ];

    internal static readonly string[] SummaryKeysRequired =
    [
        SummaryKeys.InitialScore, SummaryKeys.FinalScore, SummaryKeys.ScoreGain, SummaryKeys.Kl, SummaryKeys.RefNllInitial,
        SummaryKeys.RefNllFinal, SummaryKeys.Iterations, SummaryKeys.WallSeconds,
    ];

    [DataFact]
    public async Task RunAsync_ThreePpoIterations_WritesMetricsSummaryReportAndEvaluatesGates()
    {
        using var temp = new TempDir();
        var config = EmbeddedRun.Config(temp.Sub("ppo"), PpoAlgorithm.Ppo, iterations: 3);
        var gates = GateEvaluator.ParseAll(["iterations>=3", "ref_nll_final>0", "score_gain>=1000"]);
        var lines = new List<string>();

        var result = await EmbeddedRun.RunAsync(config, new PpoRunOptions(RunId: "smoke", Gates: gates, Progress: lines.Add));

        var metrics = result.RunDirectory.ReadMetrics();
        Assert.Equal([1, 2, 3], metrics.Select(m => m.Iteration));
        foreach (var m in metrics)
        {
            foreach (var name in StandardMetrics.Append(MetricNames.LossValueAvg).Append("val/grad_norm"))
            {
                Assert.True(m.Values.TryGetValue(name, out var v), $"iteration {m.Iteration} has no {name}");
                Assert.True(double.IsFinite(v), $"iteration {m.Iteration}: {name} = {v}");
            }
            Assert.True(m.Values["policy/grad_norm"] > 0, "the policy got no gradient: the advantages are all zero");
            Assert.True(m.Values["val/grad_norm"] > 0, "the critic got no gradient");
            Assert.InRange(m.Values["env/response_length"], 1, 16);
        }
        Assert.True(metrics.Select(m => m.Values[MetricNames.ObjectiveScores]).Distinct().Count() > 1, "scores identical in every iteration");
        foreach (var key in SummaryKeysRequired)
            Assert.True(result.Summary.ContainsKey(key), $"summary.json has no {key}");
        Assert.Equal(3, result.Summary[SummaryKeys.Iterations]);
        Assert.Equal(result.Summary[SummaryKeys.FinalScore] - result.Summary[SummaryKeys.InitialScore], result.Summary[SummaryKeys.ScoreGain], 9);
        Assert.True(result.Summary[SummaryKeys.RefNllInitial] > 0);
        Assert.True(File.Exists(result.RunDirectory.ReportPath));
        Assert.Contains("<svg", File.ReadAllText(result.RunDirectory.ReportPath), StringComparison.Ordinal);
        Assert.NotEmpty(result.RunDirectory.ReadSamples());
        Assert.Equal([true, true, false], result.Gates.Select(g => g.Passed));
        Assert.False(result.Passed);
        Assert.Equal(3, result.RunDirectory.LatestCheckpoint()?.Iteration);
        Assert.Contains(lines, l => l.StartsWith("iter 3/3", StringComparison.Ordinal));
    }

    [DataTheory]
    [InlineData(PpoAlgorithm.Grpo)]
    [InlineData(PpoAlgorithm.Rloo)]
    public async Task RunAsync_CriticFreeAlgorithm_OneIterationWithoutCritic(PpoAlgorithm algorithm)
    {
        using var temp = new TempDir();
        var config = EmbeddedRun.Config(temp.Sub(algorithm.ToString()), algorithm, iterations: 1);

        var result = await EmbeddedRun.RunAsync(config);

        var m = Assert.Single(result.RunDirectory.ReadMetrics());
        foreach (var name in StandardMetrics)
        {
            Assert.True(m.Values.TryGetValue(name, out var v), $"no {name}");
            Assert.True(double.IsFinite(v), $"{name} = {v}");
        }
        Assert.False(m.Values.ContainsKey(MetricNames.LossValueAvg));
        Assert.True(m.Values["policy/grad_norm"] > 0, "group advantages are all zero");
        Assert.Equal(1, result.Summary[SummaryKeys.Iterations]);
        Assert.True(double.IsFinite(result.Summary[SummaryKeys.FinalScore]));
        Assert.False(Directory.Exists(Path.Combine(result.RunDirectory.CheckpointPath(1), "critic")));
    }
}
