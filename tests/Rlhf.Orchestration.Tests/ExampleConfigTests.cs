using Rlhf.Configuration;
using Rlhf.Orchestration.Config;

namespace Rlhf.Orchestration.Tests;

public sealed class ExampleConfigTests
{
    private static string Example(string name) =>
        Path.Combine(TestData.RepoRoot, "services", "Rlhf.Orchestration", "Config", "Examples", name);

    [Fact]
    public void Load_PpoExample_ValidAndDataFilesExist()
    {
        var config = ConfigLoader.Load<PpoConfig>(Example("ppo.yaml"));

        Assert.True(File.Exists(config.PolicyModel), config.PolicyModel);
        Assert.True(File.Exists(config.Tokenizer), config.Tokenizer);
        Assert.True(File.Exists(config.Prompts.Path), config.Prompts.Path);
        Assert.True(File.Exists(config.RewardConfig), config.RewardConfig);
        Assert.Equal(Path.Combine(TestData.RepoRoot, "runs", "ppo"), config.OutputDir);
    }
}
