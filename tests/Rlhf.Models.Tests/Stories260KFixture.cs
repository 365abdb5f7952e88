using Rlhf.Engine.IO;
using Rlhf.Models.Native;
using Rlhf.Models.Torch;

namespace Rlhf.Models.Tests;

/// <summary>
/// stories260K from ../shared/data with a random scalar head (the .bin file has none, so values would be all zero),
/// saved once as an HF checkpoint directory, loaded into both backends (fp32, CPU).
/// </summary>
public sealed class Stories260KFixture : IDisposable
{
    public Stories260KFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "rlhf-models-tests-" + Guid.NewGuid().ToString("N"));
        Checkpoint = Path.Combine(Directory, "stories260K-scored");
        using (var seed = NativeSequenceModel.Load(TestData.Data("stories260K.bin"), new ModelLoadOptions { Threads = 1 }))
        {
            var rng = new Random(260);
            foreach (var t in seed.Model.Parameters.Where(p => p.Name.StartsWith("score.", StringComparison.Ordinal)))
            {
                var span = t.Data.Span;
                for (var i = 0; i < span.Length; i++)
                    span[i] = (float)(rng.NextDouble() - 0.5);
            }
            seed.SaveCheckpoint(Checkpoint, includeOptimizerState: false);
        }
        Native = NativeSequenceModel.Load(Checkpoint, new ModelLoadOptions { Threads = 1 });
        Torch = TorchSequenceModel.Load(Checkpoint, new ModelLoadOptions { Threads = 1 });
    }

    public string Directory { get; }

    public string Checkpoint { get; }

    public NativeSequenceModel Native { get; }

    public TorchSequenceModel Torch { get; }

    public void Dispose()
    {
        Native.Dispose();
        Torch.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class Stories260KCollection : ICollectionFixture<Stories260KFixture>
{
    public const string Name = "stories260K on both backends";
}
