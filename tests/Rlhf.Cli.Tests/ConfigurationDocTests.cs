using System.ComponentModel;
using System.Reflection;
using Rlhf.Cli.Tests.Infrastructure;
using Rlhf.Configuration;
using Rlhf.Contracts;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Hosting.Topology;
using Rlhf.RewardModels;

namespace Rlhf.Cli.Tests;

/// <summary>The config reference (docs/configuration.md) is complete and current, and the README lists the exit codes.</summary>
public sealed class ConfigurationDocTests
{
    private static readonly string DocPath = Path.Combine(TestData.RepoRoot, "docs", "configuration.md");

    public static TheoryData<string> Keys()
    {
        var data = new TheoryData<string>();
        foreach (var type in new[] { typeof(PpoConfig), typeof(RewardTrainingConfig) })
        {
            foreach (var entry in ConfigReference.Entries(type))
                data.Add($"{type.Name}:{entry.Key}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryKey_HasADescriptionAndARowInTheDoc(string key)
    {
        var (typeName, name) = (key[..key.IndexOf(':')], key[(key.IndexOf(':') + 1)..]);
        var type = typeName == nameof(PpoConfig) ? typeof(PpoConfig) : typeof(RewardTrainingConfig);
        var entry = ConfigReference.Entries(type).Single(e => e.Key == name);
        var description = entry.Property.GetCustomAttribute<DescriptionAttribute>()?.Description;
        Assert.False(string.IsNullOrWhiteSpace(description), $"{type.Name}.{entry.Property.Name} ({name}) has no [Description]");
        Assert.Contains($"| `{name}` |", File.ReadAllText(DocPath), StringComparison.Ordinal);
    }

    [Fact]
    public void CommittedDoc_EqualsTheGeneratedReference()
    {
        var expected = RlhfConfigReference.Markdown();
        Assert.True(File.Exists(DocPath), $"{DocPath} is missing; generate it: scripts/rlhf ppo --help-config > docs/configuration.md");
        Assert.True(expected == File.ReadAllText(DocPath),
            "docs/configuration.md is stale; regenerate it: scripts/rlhf ppo --help-config > docs/configuration.md");
    }

    [Fact]
    public async Task HelpConfig_PrintsTheCommittedDoc()
    {
        var result = await Processes.RlhfAsync(null, "ppo", "--help-config");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllText(DocPath), result.Output);
    }

    [Fact]
    public void Readme_ListsEveryExitCode()
    {
        var readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        foreach (var (code, _) in ExitCodes.All)
            Assert.Contains($"| {code} |", readme, StringComparison.Ordinal);
    }
}
