namespace Rlhf.Alignment;

/// <summary>
/// One side of a batch of P3O pairs: the first (or the second) response to each of B prompts, with its per-token
/// log-probs under the current policy, the rollout policy π_old and the reference, and its score.
/// </summary>
/// <param name="Logprobs">log π(y_t) of the current policy (nats), B sequences: what gets the gradient.</param>
/// <param name="OldLogprobs">log π_old(y_t) at rollout, layout of <paramref name="Logprobs"/>.</param>
/// <param name="RefLogprobs">log π_ref(y_t), layout of <paramref name="Logprobs"/>.</param>
/// <param name="Scores">Reward r of each response (reward units, after any penalty or normalisation), shape
/// (B,).</param>
public sealed record P3oResponses(TokenBatch Logprobs, TokenBatch OldLogprobs, TokenBatch RefLogprobs, double[] Scores);
