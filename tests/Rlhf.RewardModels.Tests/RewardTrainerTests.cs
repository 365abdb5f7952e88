using Rlhf.Models;
using Rlhf.Engine.IO;
using Rlhf.RewardModels.Tests.Infrastructure;

namespace Rlhf.RewardModels.Tests;

public sealed class RewardTrainerTests(TrainedSst2Fixture run) : IClassFixture<TrainedSst2Fixture>
{
    [Fact]
    public void Train_SmallSst2Subset_LowersLossAndBeatsChanceOnHeldOutPairs()
    {
        var metrics = Metrics.Read(Path.Combine(run.Config.OutputDir, "metrics.jsonl"));

        Assert.Equal(50, metrics.Count);
        Assert.Equal(Math.Log(2), metrics[0]["loss"], 6); // zero-initialised head: every first score is 0
        var firstLosses = metrics.Take(10).Average(m => m["loss"]);
        var lastLosses = metrics.TakeLast(10).Average(m => m["loss"]);
        Assert.True(lastLosses < firstLosses, $"mean training loss should fall: first 10 steps {firstLosses:F4}, last 10 {lastLosses:F4}");
        Assert.True(metrics[^1]["eval/loss"] < Math.Log(2), $"held-out loss {metrics[^1]["eval/loss"]:F4} should fall below log 2");
        Assert.NotNull(run.Result.BestEval);
        Assert.True(run.Result.BestEval!.Accuracy > 0.6, $"held-out accuracy {run.Result.BestEval.Accuracy:F3} should beat chance");
        Assert.All(new[] { "step", "loss", "accuracy", "margin", "lr", "grad_norm", "tokens_per_s" }, key => Assert.True(metrics[^1].ContainsKey(key), key));
        Assert.True(metrics[9].ContainsKey("eval/accuracy"));
    }

    [Fact]
    public void Train_Finished_SavesLoadableCheckpointWithTokenizerAndCalibration()
    {
        var dir = run.Result.ModelDirectory;

        Assert.True(CheckpointDirectory.IsCheckpoint(dir));
        Assert.True(File.Exists(Path.Combine(dir, CheckpointDirectory.TokenizerFile)));
        Assert.Equal(run.Result.Calibration, RewardCalibration.TryLoad(dir));
        Assert.Equal(run.Result.BestStep, CheckpointDirectory.ReadTrainerState(dir)!.Step);
        Assert.Equal(32, RewardTrainer.TrainedMaxSeqLen(dir));
    }

    [Fact]
    public void Calibration_SavedModelOnReferenceSet_NormalizesToMeanZeroStdOne()
    {
        var model = ModelFiles.Load(run.Result.ModelDirectory, new Engine.EngineOptions { Threads = 2 });
        var calibration = RewardCalibration.TryLoad(run.Result.ModelDirectory)!;

        var normalized = RewardScorer.Score(model, run.Result.CalibrationSequences).Select(calibration.Normalize).ToArray();

        Assert.Equal(128, calibration.Count);
        Assert.Equal(calibration.Count, normalized.Length);
        var mean = normalized.Average();
        var std = Math.Sqrt(normalized.Sum(x => (x - mean) * (x - mean)) / normalized.Length);
        Assert.InRange(mean, -1e-4, 1e-4);
        Assert.InRange(std, 1 - 1e-4, 1 + 1e-4);
        Assert.True(calibration.Std > 1e-3, "a trained model's scores should vary");
    }

    [Fact]
    public void EvalReward_SavedModel_LastLineIsAccuracyWithThreeDecimals()
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int exit;
        try
        {
            var root = new System.CommandLine.RootCommand { Cli.Commands.EvalRewardCommand.Create() };
            exit = root.Parse(["eval-reward", "--model", run.Result.ModelDirectory, "--data", run.EvalTsv]).Invoke();
        }
        finally
        {
            Console.SetOut(previous);
        }

        var lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(0, exit);
        Assert.True(lines.Length > 1, "eval-reward should print informative lines before the accuracy");
        Assert.Matches(@"^accuracy=[01]\.\d{3}$", lines[^1]);
        var accuracy = double.Parse(lines[^1]["accuracy=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.5, $"all-pairs dev-subset accuracy {accuracy} should beat chance");
    }

    [Fact]
    public void EvalReward_MaxPairsWithSeed_IsReproducibleAndCountsThePairs()
    {
        var a = RewardModelEvaluator.Evaluate(run.Result.ModelDirectory, run.EvalTsv, maxPairs: 300, seed: 5);
        var b = RewardModelEvaluator.Evaluate(run.Result.ModelDirectory, run.EvalTsv, maxPairs: 300, seed: 5);

        Assert.Equal(300, a.Pairs);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.MeanMargin, b.MeanMargin);
    }
}
