namespace Rlhf.Models;

/// <summary>
/// The seam between the model services and a model backend: one loaded Llama-family causal language model with an LM
/// head and a scalar head, its AdamW optimizer and its checkpoints. Implemented by the native CPU engine
/// (<c>Rlhf.Models.Native</c>) and by TorchSharp (<c>Rlhf.Models.Torch</c>). Not thread-safe: callers serialize every
/// call.
/// </summary>
public interface ISequenceModel : IDisposable
{
    /// <summary>What is loaded, on which backend and device.</summary>
    ModelInfo Info { get; }

    /// <summary>The decoder's hyper-parameters (<see cref="ModelInfo.Architecture"/>).</summary>
    ModelArchitecture Architecture { get; }

    /// <summary>
    /// Forward pass over a batch of prompt ++ response sequences; per response token: logprobs (at the temperature),
    /// optionally entropies and values, and the scalar head at the last token. With
    /// <see cref="ForwardOptions.KeepForBackward"/> the result carries what backward needs (<see cref="ForwardResult.State"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An empty prompt, a token id outside [0, V), a sequence longer than MaxSeqLen, or a temperature ≤ 0.</exception>
    ForwardResult Forward(IReadOnlyList<TokenSequence> batch, ForwardOptions options);

    /// <summary>
    /// Back-propagates per-token output gradients through a kept forward, adding into the parameter gradients, and
    /// releases the state.
    /// </summary>
    /// <exception cref="ArgumentException">The state is from another model or released, or a gradient's shape differs from the forward's outputs.</exception>
    void Backward(IForwardState state, OutputGradients gradients);

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

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>fp32 copies of the parameters, HF names and layout, in checkpoint order.</summary>
    IReadOnlyList<TensorData> CopyParameters();

    /// <summary>fp32 copies of the accumulated gradients, same names, shapes and order as <see cref="CopyParameters"/>.</summary>
    IReadOnlyList<TensorData> CopyGradients();

    /// <summary>Writes a checkpoint directory atomically (HF config.json and model.safetensors, optionally optimizer state).</summary>
    void SaveCheckpoint(string directory, bool includeOptimizerState);

    /// <summary>
    /// Loads a llama2.c <c>.bin</c> file or a checkpoint directory of the same shapes; the served weights change only
    /// if the whole load succeeds.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or of another shape (named in the message).</exception>
    void LoadCheckpoint(string path, bool loadOptimizerState);
}

/// <summary>A model backend: makes <see cref="ISequenceModel"/>s from checkpoints (<c>Model:Backend</c>).</summary>
public interface IModelBackend
{
    /// <summary>The name configuration uses: <c>native</c> or <c>torch</c>.</summary>
    string Name { get; }

    /// <summary>Loads a llama2.c <c>.bin</c> file or an HF checkpoint directory. The scalar head (<c>score.*</c>) may be absent and then starts at zero.</summary>
    /// <exception cref="ModelBackendUnavailableException">The device or dtype cannot run here (the message names what is missing).</exception>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed, or uses a feature this backend does not support (named).</exception>
    ISequenceModel Load(string path, ModelLoadOptions options);
}

/// <summary>Choosing a backend by its configured name.</summary>
public static class ModelBackends
{
    /// <summary>The backend of <paramref name="backends"/> named <paramref name="name"/> (case-insensitive, trimmed).</summary>
    /// <exception cref="ModelBackendUnavailableException">None has that name; the message names it and those there are.</exception>
    public static IModelBackend Select(IEnumerable<IModelBackend> backends, string name)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var wanted = (name ?? "").Trim().ToLowerInvariant();
        var list = backends.ToList();
        return list.FirstOrDefault(b => b.Name == wanted) ?? throw new ModelBackendUnavailableException(
            $"Model:Backend={wanted} is not built into this program (it has {string.Join(", ", list.Select(b => b.Name))})");
    }
}
