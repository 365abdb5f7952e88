namespace Rlhf.Models;

/// <summary>What <see cref="ISequenceModel.Forward"/> computes and keeps.</summary>
public sealed record ForwardOptions
{
    /// <summary>Sampling temperature τ &gt; 0: logprobs and entropy are those of softmax(logits / τ).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Compute per-response-token logprobs (runs the LM head). False for critic / reward forwards.</summary>
    public bool ComputeLogprobs { get; init; } = true;

    /// <summary>Compute the entropy (nats) of the tempered next-token distribution per response token (needs the LM head).</summary>
    public bool ComputeEntropy { get; init; }

    /// <summary>Compute per-response-token values from the scalar head: <c>values[t] = s[P+t−1]</c>.</summary>
    public bool ComputeValues { get; init; }

    /// <summary>Keep what backward needs (activations, or the autograd graph) in <see cref="ForwardResult.State"/>.</summary>
    public bool KeepForBackward { get; init; }
}
