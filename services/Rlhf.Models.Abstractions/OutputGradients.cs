namespace Rlhf.Models;

/// <summary>
/// Gradients of a loss with respect to the outputs of one forward pass, indexed [sequence][response token] like
/// <see cref="ForwardResult"/>. Null members contribute nothing. Backward adds
/// <c>Σ ∂loss/∂output · ∂output/∂θ</c> into the parameter gradients (accumulation across calls).
/// </summary>
/// <param name="Logprobs">∂loss/∂logprobs[t]; requires the forward to have computed logprobs.</param>
/// <param name="Entropy">∂loss/∂entropy[t]; requires <see cref="ForwardOptions.ComputeEntropy"/>.</param>
/// <param name="Values">∂loss/∂values[t]; requires <see cref="ForwardOptions.ComputeValues"/>.</param>
/// <param name="LastScalar">∂loss/∂last_scalar, one per sequence.</param>
public sealed record OutputGradients(
    float[][]? Logprobs = null,
    float[][]? Entropy = null,
    float[][]? Values = null,
    float[]? LastScalar = null);
