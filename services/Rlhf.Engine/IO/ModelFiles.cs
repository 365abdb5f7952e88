namespace Rlhf.Engine.IO;

/// <summary>Creates a ready <see cref="LlamaModel"/> from either file format <see cref="ModelCheckpoint"/> reads.</summary>
public static class ModelFiles
{
    /// <summary>
    /// Creates a <see cref="LlamaModel"/> and loads its weights. The scalar head (<c>score.*</c>) may be absent and then
    /// keeps its initial value (zero).
    /// </summary>
    /// <param name="path">A llama2.c <c>.bin</c> file or a checkpoint directory (model.safetensors + config.json).</param>
    /// <param name="options">Engine options (threads).</param>
    /// <param name="expected">When given, the file's architecture must equal it.</param>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or its architecture or tensors do not fit (named in the message).</exception>
    public static LlamaModel Load(string path, EngineOptions? options = null, ModelConfig? expected = null)
    {
        var config = ModelCheckpoint.ReadConfig(path);
        if (expected is not null && !expected.HasSameArchitecture(config))
            throw new InvalidDataException($"{path}: architecture {config} differs from the expected {expected}");
        var model = new LlamaModel(config, options ?? new EngineOptions());
        ModelCheckpoint.LoadParameters(path, model.Parameters, TensorBinding.IsScalarHead);
        return model;
    }
}
