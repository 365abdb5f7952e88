using Rlhf.Engine;
using Rlhf.ModelServices;

namespace Rlhf.Services.Tests.Infrastructure;

/// <summary>
/// stories260K with a seeded random scalar head (<c>score.weight</c> ~ N(0, 0.1²), <c>score.bias</c> = 0), saved once
/// per test process as a checkpoint directory (with tok512 inside). stories260K's own head loads as zero, which gives
/// every response the same score and value; this head gives the critic and the reward model non-trivial outputs
/// without any training.
/// </summary>
internal static class ScoreHeadCheckpoint
{
    private static readonly Lazy<string> Directory = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The checkpoint directory.</summary>
    public static string Path => Directory.Value;

    private static string Create()
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rlhf-svctests-scorehead-{Environment.ProcessId}-{Guid.NewGuid():N}");
        using var model = Rlhf.Models.Native.NativeSequenceModel.Load(TestData.Data(TestData.Stories260K),
            new Rlhf.Models.ModelLoadOptions { Threads = 1, TokenizerPath = TestData.Data(TestData.Tok512) });
        var weight = model.Model.Parameters.Single(p => p.Name == "score.weight").Data.Span;
        var rng = new Xoshiro256StarStar(20260101);
        for (var i = 0; i < weight.Length; i++)
            weight[i] = (float)(rng.NextGaussian() * 0.1);
        model.SaveCheckpoint(dir, includeOptimizerState: false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    }
}
