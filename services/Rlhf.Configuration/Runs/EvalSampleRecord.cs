namespace Rlhf.Configuration.Runs;

/// <summary>
/// One line of <c>eval_samples.jsonl</c>: a held-out response of the initial or the final evaluation. Both
/// evaluations sample the same prompts in the same order with the same seed, so equal <see cref="Index"/> means the
/// same prompt and sample slot before and after training (the report's before/after panel).
/// </summary>
/// <param name="Phase"><see cref="Initial"/> or <see cref="Final"/>.</param>
/// <param name="Iteration">Iterations trained when it was sampled: 0 for the initial evaluation.</param>
/// <param name="Index">Position in the evaluation (prompt-major: prompt p, sample s at p·samples_per_prompt + s).</param>
/// <param name="Prompt">Prompt text.</param>
/// <param name="Response">Response text.</param>
/// <param name="Score">Reward-model score (normalized units).</param>
/// <param name="Kl">Σ_t (logprobs − ref_logprobs) of the response at the sampling temperature. Unit: nats.</param>
public sealed record EvalSampleRecord(string Phase, int Iteration, int Index, string Prompt, string Response, double Score, double Kl)
{
    /// <summary>The evaluation before the first iteration.</summary>
    public const string Initial = "initial";

    /// <summary>The evaluation after the last iteration.</summary>
    public const string Final = "final";
}
