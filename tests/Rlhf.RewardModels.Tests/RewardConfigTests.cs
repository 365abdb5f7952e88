using Rlhf.Configuration;

namespace Rlhf.RewardModels.Tests;

/// <summary>The reward-training config binds, validates and round-trips through config.yaml.</summary>
public sealed class RewardConfigTests
{
    private static string Example(string name) =>
        Path.Combine(RepositoryData.RepoRoot, "services", "Rlhf.Orchestration", "Config", "Examples", name);

    [Fact]
    public void Load_RewardTrainingYaml_BindsDatasetSection()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("reward.yaml", """
            base_model: ${RLHF_DATA_DIR}/stories260K.bin
            tokenizer: ${RLHF_DATA_DIR}/tok512.bin
            dataset:
              kind: sst2
              train: ${RLHF_DATA_DIR}/sst2_train.tsv
              eval: ${RLHF_DATA_DIR}/sst2_dev.tsv
              max_pairs: 2000
            lr_schedule: cosine
            warmup_steps: 10
            max_steps: 200
            """);

        var config = ConfigLoader.Load<RewardTrainingConfig>(path);

        Assert.Equal(RewardDatasetKind.Sst2, config.Dataset.Kind);
        Assert.True(File.Exists(config.Dataset.Train));
        Assert.True(File.Exists(config.Dataset.Eval));
        Assert.Equal(2000, config.Dataset.MaxPairs);
        Assert.Equal(LrSchedule.Cosine, config.LrSchedule);
        Assert.Equal(RewardLoss.BradleyTerry, config.Loss);
        Assert.Equal(256, config.MaxSeqLen);
        var copy = ConfigLoader.Load<RewardTrainingConfig>(dir.File("copy.yaml", ConfigYaml.Serialize(config)));
        Assert.Equal(ConfigYaml.Serialize(config), ConfigYaml.Serialize(copy));
    }

    [Theory]
    [InlineData("loss=kwise", "loss kwise needs dataset.kind kwise (got hh)")]
    [InlineData("warmup_steps=300", "warmup_steps (300) must be < max_steps (200)")]
    [InlineData("max_seq_len=1", "max_seq_len must be ≥ 2 (got 1)")]
    [InlineData("dataset.kind=csv", "dataset.kind: expected one of hh|sst2|kwise, got 'csv'")]
    [InlineData("dataset.train=", "dataset.train is required")]
    public void Load_RewardTrainingInvalid_MessageNamesKey(string assignment, string expected)
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("reward.yaml", "base_model: m.bin\ntokenizer: t.bin\ndataset:\n  train: d.jsonl\nlr_schedule: linear_warmup\nmax_steps: 200\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<RewardTrainingConfig>(path, [assignment]));

        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("reward_sst2.yaml")]
    [InlineData("reward_hh.yaml")]
    public void Load_RewardExample_ValidAndDataFilesExist(string name)
    {
        var config = ConfigLoader.Load<RewardTrainingConfig>(Example(name));

        Assert.True(File.Exists(config.BaseModel), config.BaseModel);
        Assert.True(File.Exists(config.Dataset.Train), config.Dataset.Train);
        Assert.StartsWith(Path.Combine(RepositoryData.RepoRoot, "runs"), config.OutputDir);
    }
}
