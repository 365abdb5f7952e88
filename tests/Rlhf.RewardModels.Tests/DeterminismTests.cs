using Rlhf.Models;
using Rlhf.Engine.IO;
using Rlhf.RewardModels.Tests.Infrastructure;

namespace Rlhf.RewardModels.Tests;

public sealed class DeterminismTests
{
    [Fact]
    public void Train_SameSeedTwice_WritesIdenticalCheckpointBytes()
    {
        using var dir = new TempDir();
        string[] common = ["max_steps=6", "eval_every=3"];

        var a = new RewardTrainer(SmallSst2.Config(dir, "a", 800, 60, common)).Train();
        var b = new RewardTrainer(SmallSst2.Config(dir, "b", 800, 60, common)).Train();
        var c = new RewardTrainer(SmallSst2.Config(dir, "c", 800, 60, [.. common, "seed=8"])).Train();

        byte[] Weights(RewardTrainingResult r) => File.ReadAllBytes(Path.Combine(r.ModelDirectory, CheckpointDirectory.ModelFile));
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(File.ReadAllText(Path.Combine(a.ModelDirectory, RewardCalibration.FileName)),
            File.ReadAllText(Path.Combine(b.ModelDirectory, RewardCalibration.FileName)));
        Assert.NotEqual(Weights(a), Weights(c));
    }
}
