using Rlhf.Models;

namespace Rlhf.ModelServices;

/// <summary>A forward pass kept for Backward, with what is needed to validate the gradients sent for it.</summary>
/// <param name="State">What the backend kept (activations or an autograd graph).</param>
/// <param name="ResponseLengths">Response tokens per sequence: the required length of every per-token gradient. Shape: (B,).</param>
/// <param name="HasEntropy">Whether entropies were computed (so ∂loss/∂entropy can flow back).</param>
/// <param name="HasValues">Whether values were computed.</param>
/// <param name="HasLogprobs">Whether logprobs were computed.</param>
public sealed record KeptForward(IForwardState State, int[] ResponseLengths, bool HasLogprobs, bool HasEntropy, bool HasValues);
