using Rlhf.Data;
using Rlhf.Engine.IO;
using Rlhf.Tokenizers;
using Rlhf.RewardModels.Internal;
using Rlhf.RewardModels.Tests.Infrastructure;

namespace Rlhf.RewardModels.Tests;

public sealed class EarlyStoppingTests
{
    [Fact]
    public void Train_AccuracyStopsImproving_StopsAfterPatienceAndSavesTheBestStep()
    {
        using var dir = new TempDir();
        // a learning rate far too high makes held-out accuracy peak early and then wander
        var config = SmallSst2.Config(dir, "run", 1500, 120,
            "learning_rate=0.05", "head_learning_rate=0.05", "lr_schedule=constant", "warmup_steps=0", "eval_every=2",
            "early_stopping_patience=3", "max_steps=60", "batch_size=8");

        var result = new RewardTrainer(config).Train();

        var evals = Metrics.Read(Path.Combine(config.OutputDir, "metrics.jsonl"))
            .Where(m => m.ContainsKey("eval/accuracy"))
            .Select(m => (Step: (int)m["step"], Accuracy: m["eval/accuracy"], Loss: m["eval/loss"], Margin: m["eval/margin"]))
            .ToList();
        var best = evals.First(e => e.Accuracy == evals.Max(x => x.Accuracy));
        Assert.True(result.StoppedEarly, "training should stop before max_steps");
        Assert.Equal(best.Step, result.BestStep);
        Assert.Equal(best.Step + 3 * 2, result.Steps);
        Assert.Equal(best.Accuracy, result.BestEval!.Accuracy);

        // the saved parameters are those of the best step, not the last: re-evaluated as the trainer evaluates (same
        // thread count and batches), they reproduce the best step's held-out loss and margin bitwise. Accuracy alone
        // cannot tell the two apart: on 53 pairs a later step can tie the best (it does with AVX2 kernels).
        var model = ModelFiles.Load(result.ModelDirectory, new Engine.EngineOptions { Threads = config.Threads });
        var builder = new RewardSequenceBuilder(Llama2Tokenizer.Load(config.Tokenizer), config.MaxSeqLen);
        var held = RewardDataset.Load(config, builder).Eval;
        var saved = PairwiseEvaluation.Run(model, held, config.BatchSize);
        Assert.Equal((best.Accuracy, best.Loss, best.Margin), (saved.Accuracy, saved.Loss, saved.MeanMargin));
        Assert.NotEqual(best.Loss, evals[^1].Loss);
    }
}
