namespace Rlhf.Models;

/// <summary>
/// The files of a checkpoint directory that every backend writes and reads (Hugging Face layout, so that each backend
/// resumes the other's checkpoints): the weights, <see cref="HfModelConfig.FileName"/>, and the tokenizer copy.
/// </summary>
public static class CheckpointFiles
{
    /// <summary>The weights (safetensors, Hugging Face tensor names).</summary>
    public const string Weights = "model.safetensors";

    /// <summary>The llama2.c tokenizer copied into a saved checkpoint, so that it travels with the weights.</summary>
    public const string Tokenizer = "tokenizer.bin";

    /// <summary>The checkpoint directory's own <see cref="Tokenizer"/>, or null (a <c>.bin</c> file, or a directory without one).</summary>
    public static string? TokenizerOf(string checkpoint)
    {
        var path = Path.Combine(checkpoint, Tokenizer);
        return Directory.Exists(checkpoint) && File.Exists(path) ? path : null;
    }
}
