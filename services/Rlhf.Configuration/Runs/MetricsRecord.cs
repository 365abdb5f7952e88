namespace Rlhf.Configuration.Runs;

/// <summary>One line of <c>metrics.jsonl</c>: the metrics logged for one iteration (NaN where the file has null).</summary>
/// <param name="Iteration">1-based PPO iteration (or training step).</param>
/// <param name="Values">Metric name (e.g. <c>objective/kl</c>) → value.</param>
public sealed record MetricsRecord(int Iteration, IReadOnlyDictionary<string, double> Values);
