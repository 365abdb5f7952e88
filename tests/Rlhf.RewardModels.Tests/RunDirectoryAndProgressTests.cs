using Rlhf.Configuration.Runs;
using Rlhf.RewardModels.Tests.Infrastructure;

namespace Rlhf.RewardModels.Tests;

/// <summary>
/// Issue 16 for reward models: training refuses an output directory holding another run (item 2), and training and
/// evaluation passes report progress with elapsed time and ETA (item 5).
/// </summary>
public sealed class RunDirectoryAndProgressTests
{
    [Fact]
    public void Train_Progress_EvalLinesEndWithElapsedAndEtaAndPlainLinesFillTheGaps()
    {
        using var dir = new TempDir();
        var config = SmallSst2.Config(dir, "run", 600, 60, "max_steps=20", "eval_every=10");
        var lines = new List<string>();

        new RewardTrainer(config, new ProgressReporter(lines.Add)).Train();

        var steps = lines.Where(l => l.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["step 10/20", "step 20/20"], steps.Select(l => l[..l.IndexOf(" epoch", StringComparison.Ordinal)]));
        Assert.All(steps, l => Assert.Matches(@"  elapsed \d+s  ETA \d+s$", l));
        Assert.EndsWith("ETA 0s", steps[^1]);
        // between evaluations, a plain line at least every tenth of the steps; none from the short eval passes
        Assert.Contains(lines, l => l.StartsWith("train-reward 2/20 (10%)  elapsed ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("eval ", StringComparison.Ordinal));
    }

    [Fact]
    public void Train_OutputDirHoldsAFinishedRun_RefusesUnlessOverwrite()
    {
        using var dir = new TempDir();
        var config = SmallSst2.Config(dir, "run", 300, 40, "max_steps=2", "eval_every=0", "calibration_size=8");
        new RewardTrainer(config).Train();
        var model = File.ReadAllBytes(Path.Combine(config.OutputDir, "model", "model.safetensors"));

        var e = Assert.Throws<RunDirectoryInUseException>(() => new RewardTrainer(config).Train());
        Assert.Contains("model/", e.Entries);
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(config.OutputDir, "model", "model.safetensors")));

        var again = new RewardTrainer(config, overwrite: true).Train();
        Assert.Equal(2, again.Steps);
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(again.ModelDirectory, "model.safetensors")));   // same seed, same bytes
    }

    [Fact]
    public void Evaluate_Progress_ScoringPassesReportPlainLines()
    {
        using var dir = new TempDir();
        var config = SmallSst2.Config(dir, "run", 300, 200, "max_steps=2", "eval_every=0", "calibration_size=8");
        var result = new RewardTrainer(config).Train();
        var lines = new List<string>();

        RewardModelEvaluator.Evaluate(result.ModelDirectory, dir.Sub("eval.tsv"), progress: new ProgressReporter(lines.Add));

        Assert.Contains(lines, l => l.StartsWith("scoring positives ", StringComparison.Ordinal) && l.Contains("ETA", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("scoring negatives ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"^scoring (positives|negatives) \d+/\d+ \(\d+%\)  elapsed \d+s  ETA \d+s$", l));
    }
}
