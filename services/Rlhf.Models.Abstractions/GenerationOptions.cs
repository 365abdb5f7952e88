namespace Rlhf.Models;

/// <summary>Sampling options of <see cref="ISequenceModel.Generate"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most response tokens per sequence (also capped so that P + R ≤ MaxSeqLen).</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Temperature τ ≥ 0; 0 means greedy (argmax, lowest id on ties).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Nucleus sampling (Holtzman et al. 2019): keep the smallest set of tokens whose mass ≥ TopP. 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Keep only the TopK most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Tokens that end a response (included in it). Default: EOS = 2.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [2];

    /// <summary>
    /// Seed of the per-sequence random streams: sequence i draws from a stream that depends only on (Seed, i), so a
    /// sequence's sample does not depend on the rest of the batch. Streams differ between backends.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Called on the generating thread after every sampled token: (sequence index, token id, behaviour logprob, finish
    /// reason or null while the sequence goes on). Lets a caller stream tokens as they are sampled. Keep it cheap.
    /// </summary>
    public Action<int, int, float, FinishReason?>? OnToken { get; init; }

    /// <summary>Checked before every decoding step: cancellation stops the generation with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}
