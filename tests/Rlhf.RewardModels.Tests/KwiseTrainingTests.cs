using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.RewardModels.Tests.Infrastructure;

namespace Rlhf.RewardModels.Tests;

public sealed class KwiseTrainingTests
{
    [Fact]
    public void Train_KwiseRankingsOfSst2Sentences_LowersTheRankingLoss()
    {
        // rankings of K = 3 built from real SST-2 rows: positive ≻ neutral-free negative ≻ a negative repeated with "not good"
        using var dir = new TempDir();
        var rows = Rlhf.Data.LabelledSentences.LoadTsv(TestData.Data("sst2_dev.tsv"));
        var pos = rows.Where(r => r.Label == 1).Select(r => r.Text).ToArray();
        var neg = rows.Where(r => r.Label == 0).Select(r => r.Text).ToArray();
        var lines = Enumerable.Range(0, 200).Select(i => System.Text.Json.JsonSerializer.Serialize(new
        {
            prompt = "",
            responses = new[] { pos[i], neg[i], neg[i] + " awful , boring , bad ." },
        }));
        File.WriteAllLines(dir.Sub("rankings.jsonl"), lines);
        var yaml = $"""
            base_model: {TestData.Data("stories260K.bin")}
            tokenizer: {TestData.Data("tok512.bin")}
            dataset: {"{"}kind: kwise, train: {dir.Sub("rankings.jsonl")}, eval_fraction: 0.1{"}"}
            loss: kwise
            max_seq_len: 48
            batch_size: 8
            learning_rate: 0.003
            head_learning_rate: 0.01
            max_steps: 20
            eval_every: 0
            calibration_size: 16
            output_dir: {dir.Sub("out")}
            """;
        var config = ConfigLoader.Parse<RewardTrainingConfig>(yaml, dir.Path);

        var result = new RewardTrainer(config).Train();

        var metrics = Metrics.Read(Path.Combine(config.OutputDir, "metrics.jsonl"));
        Assert.Equal(Math.Log(2), metrics[0]["loss"], 6);
        Assert.True(metrics.TakeLast(5).Average(m => m["loss"]) < 0.65, "the K-wise loss should fall below log 2");
        Assert.Equal(20 * 3, result.BestEval!.Pairs); // 20 held-out rankings × C(3, 2) pairs
    }
}
