using Rlhf.Engine;
using Rlhf.ModelServices;

namespace Rlhf.ServiceDefaults.Tests.Infrastructure;

/// <summary>The real data in <c>../shared/data</c> (or <c>$RLHF_DATA_DIR</c>) and checkpoint directories made from it.</summary>
internal static class TestData
{
    /// <summary>stories260K.bin (llama2.c).</summary>
    public static string Model => Rlhf.Testing.RepositoryData.Data("stories260K.bin");

    /// <summary>tok512.bin, the tokenizer of stories260K.</summary>
    public static string Tokenizer => Rlhf.Testing.RepositoryData.Data("tok512.bin");

    /// <summary>Why the tests cannot run (the data is missing), or null.</summary>
    public static string? MissingReason => Rlhf.Testing.RepositoryData.MissingReason("stories260K.bin", "tok512.bin");

    /// <summary>Saves stories260K as a checkpoint directory (no calibration.json) at <paramref name="directory"/>.</summary>
    public static string CheckpointDirectory(string directory)
    {
        using var model = EngineSequenceModel.Load(Model, new EngineOptions { Threads = 1 }, tokenizerPath: Tokenizer);
        model.SaveCheckpoint(directory, includeOptimizerState: false);
        return directory;
    }
}

/// <summary>A fact that needs stories260K and tok512; skipped with the reason when they are missing.</summary>
internal sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute() => Skip = TestData.MissingReason;
}

/// <summary>A theory that needs stories260K and tok512.</summary>
internal sealed class DataTheoryAttribute : TheoryAttribute
{
    public DataTheoryAttribute() => Skip = TestData.MissingReason;
}
