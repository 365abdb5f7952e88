namespace Rlhf.Models;

/// <summary>Per-sequence outputs of <see cref="ISequenceModel.Forward"/>; arrays are indexed [sequence][response token].</summary>
public sealed class ForwardResult
{
    /// <summary><c>logprobs[t] = log softmax(logits[P+t−1] / τ)[response_ids[t]]</c>; empty arrays when not computed.</summary>
    public required float[][] Logprobs { get; init; }

    /// <summary>Entropy (nats) of softmax(logits[P+t−1] / τ), or null when not requested.</summary>
    public float[][]? Entropy { get; init; }

    /// <summary>Scalar head at the state before response token t, <c>s[P+t−1]</c>, or null when not requested.</summary>
    public float[][]? Values { get; init; }

    /// <summary>Scalar head at the last token of each sequence, <c>s[P+R−1]</c> (the reward model's score). Shape (B,).</summary>
    public required float[] LastScalar { get; init; }

    /// <summary>What backward needs, or null unless <see cref="ForwardOptions.KeepForBackward"/>.</summary>
    public IForwardState? State { get; init; }
}
