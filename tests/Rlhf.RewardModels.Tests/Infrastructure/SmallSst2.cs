using Rlhf.Configuration;
using Rlhf.Orchestration.Config;

namespace Rlhf.RewardModels.Tests.Infrastructure;

/// <summary>Reward-training configs on small SST-2 subsets (written to a temporary directory) that train in seconds.</summary>
internal static class SmallSst2
{
    /// <summary>
    /// A config training on the first <paramref name="trainRows"/> rows of SST-2 train and evaluating on the first
    /// <paramref name="evalRows"/> rows of SST-2 dev; <paramref name="overrides"/> are <c>--set</c> style.
    /// </summary>
    public static RewardTrainingConfig Config(TempDir dir, string output, int trainRows = 3000, int evalRows = 200, params string[] overrides)
    {
        var train = TestData.TsvHead("sst2_train.tsv", trainRows, dir.Sub("train.tsv"));
        var eval = TestData.TsvHead("sst2_dev.tsv", evalRows, dir.Sub("eval.tsv"));
        var yaml = $"""
            base_model: {TestData.Data("stories260K.bin")}
            tokenizer: {TestData.Data("tok512.bin")}
            dataset:
              kind: sst2
              train: {train}
              eval: {eval}
            max_seq_len: 32
            batch_size: 16
            learning_rate: 0.003
            head_learning_rate: 0.01
            max_steps: 50
            warmup_steps: 3
            eval_every: 10
            calibration_size: 64
            threads: 2
            seed: 7
            output_dir: {dir.Sub(output)}
            """;
        return ConfigLoader.Parse<RewardTrainingConfig>(yaml, dir.Path, overrides, dir.Path);
    }
}
