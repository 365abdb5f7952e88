using Rlhf.Alignment;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// One iteration's experience: B·n sampled responses (prompt-major) and what the four services said about them. Every
/// <see cref="TokenBatch"/> has one row per response and one entry per response token (the per-token contract).
/// </summary>
/// <param name="Sequences">prompt_ids ++ response_ids of each rollout, as sent to the services. Shape: (N,).</param>
/// <param name="PromptTexts">Prompt text of each rollout. Shape: (N,).</param>
/// <param name="ResponseTexts">Response text of each rollout. Shape: (N,).</param>
/// <param name="ContainsEos">Whether the response ended with EOS (finish reason STOP). Shape: (N,).</param>
/// <param name="Logprobs">Old logprobs, recomputed by the policy at the sampling temperature. Shape: (N, R_i). Unit: nats.</param>
/// <param name="RefLogprobs">Reference logprobs at the sampling temperature. Shape: (N, R_i). Unit: nats.</param>
/// <param name="Entropy">Policy entropy before each response token. Shape: (N, R_i). Unit: nats.</param>
/// <param name="Values">Critic values (null without a critic). Shape: (N, R_i).</param>
/// <param name="Scores">Reward-model scores (normalized by the reward service). Shape: (N,).</param>
public sealed record Rollout(
    IReadOnlyList<Sequence> Sequences,
    string[] PromptTexts,
    string[] ResponseTexts,
    bool[] ContainsEos,
    TokenBatch Logprobs,
    TokenBatch RefLogprobs,
    TokenBatch Entropy,
    TokenBatch? Values,
    double[] Scores)
{
    /// <summary>Number of rollouts N.</summary>
    public int Count => Sequences.Count;

    /// <summary>Total response tokens.</summary>
    public int ResponseTokens => Logprobs.TotalTokens;
}
