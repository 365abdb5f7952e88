namespace Rlhf.Models;

/// <summary>One generated response.</summary>
/// <param name="ResponseIds">Sampled token ids (a stop token, if any, is the last one).</param>
/// <param name="Logprobs">
/// Behaviour logprobs: log softmax(logits / τ)[token] under the tempered but <em>unfiltered</em> distribution (before
/// top-k / top-p), so they equal what <see cref="ISequenceModel.Forward"/> returns at the same temperature — the
/// quantity PPO's importance ratio needs. With τ = 0 (greedy) they are taken at τ = 1.
/// </param>
/// <param name="FinishReason">Stop or Length.</param>
public sealed record GenerationResult(int[] ResponseIds, float[] Logprobs, FinishReason FinishReason);
