using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>Rollout-level statistics with TRL's estimators (PPOTrainer), over response tokens only.</summary>
public static class RolloutStatistics
{
    /// <summary>
    /// <see cref="MetricNames.ObjectiveEntropy"/>: the mean over responses of Σ_t −logprobs_t, the one-sample estimate
    /// of the sequence entropy H(π(·|x)) = E_y[−log π(y|x)] (nats per response, at the sampling temperature of
    /// <paramref name="logprobs"/>). TRL's <c>(-logprobs).sum(1).mean()</c>, without its padding entries.
    /// </summary>
    /// <param name="logprobs">Rollout log-probs of the sampled tokens, B ≥ 1 sequences.</param>
    /// <exception cref="ArgumentException">No sequences.</exception>
    public static double SequenceEntropy(TokenBatch logprobs)
    {
        ArgumentNullException.ThrowIfNull(logprobs);
        if (logprobs.BatchSize == 0)
        {
            throw new ArgumentException("no responses.", nameof(logprobs));
        }

        return -Aggregation.Mean(logprobs.SequenceSums());
    }
}
