using Rlhf.Engine;
using Rlhf.ModelServices;

namespace Rlhf.RewardService.Tests.Infrastructure;

/// <summary>
/// The real data in <c>../shared/data</c> (or <c>$RLHF_DATA_DIR</c>), and reward checkpoints made from it: stories260K
/// with a scalar head set to fixed non-zero weights (the file itself has none, and a zero head scores everything 0).
/// </summary>
internal static class TestData
{
    /// <summary>The repository root.</summary>
    public static string RepoRoot => Rlhf.Testing.RepositoryData.RepoRoot;

    /// <summary>The shared data directory.</summary>
    public static string DataDir => Rlhf.Testing.RepositoryData.DataDir;

    /// <summary>stories260K.bin (llama2.c).</summary>
    public static string Model => Path.Combine(DataDir, "stories260K.bin");

    /// <summary>tok512.bin, the tokenizer of stories260K.</summary>
    public static string Tokenizer => Path.Combine(DataDir, "tok512.bin");

    /// <summary>A per-process scratch directory, removed when the process exits.</summary>
    public static string ScratchDir { get; } = CreateScratch();

    private static readonly Lazy<string> SharedRewardCheckpoint = new(() => CreateRewardCheckpoint(Path.Combine(ScratchDir, "reward-a"), headSeed: 1));

    /// <summary>The reward checkpoint most tests serve (created once per run).</summary>
    public static string RewardCheckpoint => SharedRewardCheckpoint.Value;

    /// <summary>
    /// Saves stories260K with scalar head weights w[i] = 0.5·sin(seed·(i + 1)) and bias 0.1·seed into
    /// <paramref name="directory"/> through the engine's checkpoint API.
    /// </summary>
    public static string CreateRewardCheckpoint(string directory, int headSeed)
    {
        using var model = Rlhf.Models.Native.NativeSequenceModel.Load(Model, new Rlhf.Models.ModelLoadOptions { Threads = 1, TokenizerPath = Tokenizer });
        foreach (var p in model.Model.Parameters)
        {
            var data = p.Data.Span;
            if (p.Name == "score.weight")
            {
                for (var i = 0; i < data.Length; i++)
                    data[i] = 0.5f * MathF.Sin(headSeed * (i + 1));
            }
            else if (p.Name == "score.bias")
            {
                data.Fill(0.1f * headSeed);
            }
        }
        model.SaveCheckpoint(directory, includeOptimizerState: false);
        return directory;
    }

    private static string CreateScratch()
    {
        var dir = Path.Combine(Path.GetTempPath(), "rlhf-reward-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    }
}
