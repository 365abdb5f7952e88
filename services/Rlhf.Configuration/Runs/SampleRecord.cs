namespace Rlhf.Configuration.Runs;

/// <summary>One line of <c>samples.jsonl</c>: a sampled response and how it was judged.</summary>
/// <param name="Iteration">Iteration that produced it.</param>
/// <param name="Prompt">Prompt text.</param>
/// <param name="Response">Response text (decoded, without the prompt).</param>
/// <param name="Score">Reward-model score of prompt + response.</param>
/// <param name="Kl">Summed per-token KL(policy ‖ reference) of the response, in nats.</param>
public sealed record SampleRecord(int Iteration, string Prompt, string Response, double Score, double Kl);
