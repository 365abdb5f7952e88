using Rlhf.RewardModels;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;

namespace Rlhf.Orchestration.Tests;

/// <summary>
/// Configs travel (issue 16, item 3): <c>${RLHF_DATA_DIR}</c> comes from the environment or, when unset, from the first
/// <c>shared/data</c> in the config's folder or a parent; otherwise one line lists every folder looked in.
/// </summary>
public sealed class DataDirLookupTests : IDisposable
{
    private static readonly Func<string, string?> Unset = _ => null;
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Resolve_DataDirUnset_FirstSharedDataInTheFolderOrAParentWins()
    {
        _temp.Dir("shared/data");
        var nearer = _temp.Dir("a/shared/data");
        var config = _temp.Dir("a/b/c");

        var resolved = PathExpansion.Resolve("${RLHF_DATA_DIR}/tok512.bin", config, "tokenizer", Unset);

        Assert.Equal(Path.Combine(nearer, "tok512.bin"), resolved);
    }

    [Fact]
    public void Resolve_DataDirSet_TheVariableWinsOverTheSearch()
    {
        _temp.Dir("shared/data");

        var resolved = PathExpansion.Resolve("${RLHF_DATA_DIR}/tok512.bin", _temp.Path, "tokenizer", n => n == "RLHF_DATA_DIR" ? "/opt/data" : null);

        Assert.Equal("/opt/data/tok512.bin", resolved);
    }

    [Fact]
    public void Resolve_NoSharedDataAnywhere_OneLineListingEveryFolderLookedIn()
    {
        var config = _temp.Dir("x/y");
        Assert.Null(PathExpansion.FindDataDir(config, out _));   // the machine has no /tmp/shared/data or /shared/data

        var e = Assert.Throws<DataDirectoryNotFoundException>(() => PathExpansion.Resolve("${RLHF_DATA_DIR}/a.bin", config, "base_model", Unset));

        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("base_model: RLHF_DATA_DIR is not set", e.Message);
        Assert.Equal(Path.Combine(config, "shared", "data"), e.Searched[0]);
        Assert.Equal(Path.Combine(_temp.Path, "x", "shared", "data"), e.Searched[1]);
        Assert.Equal(Path.Combine("/", "shared", "data"), e.Searched[^1]);
        Assert.All(e.Searched, s => Assert.Contains(s, e.Message));
    }

    [Theory]
    [InlineData("reward-sst2.yaml")]
    [InlineData("reward-hh-helpful.yaml")]
    [InlineData("tinystories-positive.yaml")]
    public void Load_ExampleCopiedOutsideTheRepositoryUnderATreeWithSharedData_FindsTheData(string example)
    {
        _temp.Dir("shared");
        Directory.CreateSymbolicLink(_temp.Sub("shared/data"), TestData.DataDir);
        var copy = CopyExample(example, "team/configs");

        var (model, dataFile) = LoadDataPaths(copy, Unset);

        Assert.Null(PathExpansion.FindRepositoryRoot(copy));
        Assert.Equal(Path.Combine(_temp.Path, "shared", "data", "stories260K.bin"), model);
        Assert.True(File.Exists(model), model);
        Assert.True(File.Exists(dataFile), dataFile);
    }

    [Fact]
    public void Load_ExampleCopiedOutsideTheRepositoryWithoutSharedData_OneLineListingWhereItLooked()
    {
        var copy = CopyExample("reward-sst2.yaml", "team/configs");

        var e = Assert.Throws<DataDirectoryNotFoundException>(() => LoadDataPaths(copy, Unset));

        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("base_model: ", e.Message);   // reported once, for the first key that needs it
        Assert.Contains(Path.Combine(_temp.Path, "team", "configs", "shared", "data"), e.Message);
        Assert.Contains(Path.Combine(_temp.Path, "shared", "data"), e.Message);
    }

    [Fact]
    public void Load_ExampleInTheRepository_UsesTheSharedDataAboveTheRepository()
    {
        var example = Path.Combine(TestData.RepoRoot, "examples", "reward-sst2.yaml");
        var expected = PathExpansion.FindDataDir(Path.GetDirectoryName(example)!, out _);

        if (expected is null)   // a checkout with no shared/data above it (it relies on RLHF_DATA_DIR)
            Assert.Throws<DataDirectoryNotFoundException>(() => LoadDataPaths(example, Unset));
        else
            Assert.Equal(Path.Combine(expected, "stories260K.bin"), LoadDataPaths(example, Unset).Model);
    }

    private string CopyExample(string name, string folder)
    {
        var target = Path.Combine(_temp.Dir(folder), name);
        File.Copy(Path.Combine(TestData.RepoRoot, "examples", name), target);
        return target;
    }

    /// <summary>The example's model path and one data file it reads.</summary>
    private static (string Model, string DataFile) LoadDataPaths(string path, Func<string, string?> environment)
    {
        if (Path.GetFileName(path).StartsWith("reward", StringComparison.Ordinal))
        {
            var reward = ConfigLoader.Load<RewardTrainingConfig>(path, environment: environment);
            return (reward.BaseModel, reward.Dataset.Train);
        }
        var ppo = ConfigLoader.Load<PpoConfig>(path, environment: environment);
        return (ppo.PolicyModel, ppo.Prompts.Path);
    }
}
