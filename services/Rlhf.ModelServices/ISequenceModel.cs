using Rlhf.Engine;

namespace Rlhf.ModelServices;

/// <summary>
/// The seam between the model services and a model backend (the CPU engine today; a GPU backend tomorrow). One loaded
/// Llama-family model with a language-model head and a scalar head, its optimizer and its checkpoints. Not
/// thread-safe: <see cref="ModelHost"/> serializes every call.
/// </summary>
public interface ISequenceModel : IDisposable
{
    /// <summary>Architecture of the loaded weights.</summary>
    ModelConfig Config { get; }

    /// <summary>Number of parameters.</summary>
    long ParameterCount { get; }

    /// <summary>
    /// Forward pass over a batch of prompt ++ response sequences; per response token: logprobs (at the temperature),
    /// optionally entropies and values, and the scalar head at the last token. With <c>KeepForBackward</c> the result
    /// carries the activations (<see cref="ForwardResult.State"/>).
    /// </summary>
    ForwardResult Forward(IReadOnlyList<TokenSequence> batch, ForwardOptions options);

    /// <summary>Back-propagates per-token gradients through kept activations, adding into the parameter gradients, and releases them.</summary>
    void Backward(ForwardState state, BackwardGrads grads);

    /// <summary>Samples continuations of prompts with a KV cache.</summary>
    IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options);

    /// <summary>
    /// Scales the accumulated gradients by <paramref name="gradientScale"/>, clips them to global L2 norm
    /// <paramref name="maxGradNorm"/> (0 = no clipping), applies one AdamW step (Loshchilov &amp; Hutter 2019) at
    /// <paramref name="learningRate"/>, and zeroes the gradients.
    /// </summary>
    /// <returns>The global gradient norm before clipping.</returns>
    /// <exception cref="InvalidOperationException">The accumulated gradients are not finite; they are dropped and the weights are unchanged.</exception>
    float OptimizerStep(float learningRate, float maxGradNorm, float gradientScale);

    /// <summary>Writes a checkpoint directory atomically (weights, config, optionally optimizer and RNG state).</summary>
    void SaveCheckpoint(string directory, bool includeOptimizerState);

    /// <summary>
    /// Loads a llama2.c <c>.bin</c> file or a checkpoint directory; the served weights change only if the whole load
    /// succeeds.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or of another shape (named in the message).</exception>
    void LoadCheckpoint(string path, bool loadOptimizerState);
}
