namespace Rlhf.Models.Torch;

/// <summary>The TorchSharp backend (<c>Model:Backend=torch</c>).</summary>
public sealed class TorchBackend : IModelBackend
{
    /// <inheritdoc />
    public string Name => "torch";

    /// <inheritdoc />
    public ISequenceModel Load(string path, ModelLoadOptions options) => TorchSequenceModel.Load(path, options);
}
