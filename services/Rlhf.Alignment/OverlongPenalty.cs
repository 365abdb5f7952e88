using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// DAPO's soft overlong punishment (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning System at Scale",
/// §3.4 "Overlong Reward Shaping"), scaled as verl's <c>overlong_penalty_factor</c>: with L_max the maximum response
/// length, L_cache = <c>overlong_buffer_len</c> and f = <c>overlong_penalty_factor</c>, a response of |y| tokens gets
/// penalty(|y|) = 0 for |y| ≤ L_max − L_cache, −f·(|y| − (L_max − L_cache))/L_cache inside the buffer, and −f at and
/// beyond L_max; it is added to the score (reward units). Responses that run into the length limit are pushed
/// gently towards finishing earlier instead of being cut off with a hard penalty.
/// </summary>
public sealed class OverlongPenalty
{
    /// <summary>Creates the shaping.</summary>
    /// <param name="maxResponseLength">L_max, tokens (the run's <c>max_new_tokens</c>), &gt; 0.</param>
    /// <param name="overlongBufferLen">L_cache, tokens, in (0, L_max].</param>
    /// <param name="overlongPenaltyFactor">f ≥ 0, the penalty at L_max (reward units; DAPO uses 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public OverlongPenalty(int maxResponseLength, int overlongBufferLen, double overlongPenaltyFactor = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxResponseLength);
        if (overlongBufferLen <= 0 || overlongBufferLen > maxResponseLength)
        {
            throw new ArgumentOutOfRangeException(nameof(overlongBufferLen), overlongBufferLen,
                $"overlong_buffer_len must lie in [1, max_new_tokens = {maxResponseLength}].");
        }

        Numerics.EnsureFiniteNonNegative(overlongPenaltyFactor, nameof(overlongPenaltyFactor),
            "overlong_penalty_factor");
        MaxResponseLength = maxResponseLength;
        OverlongBufferLen = overlongBufferLen;
        OverlongPenaltyFactor = overlongPenaltyFactor;
    }

    /// <summary>L_max, tokens.</summary>
    public int MaxResponseLength { get; }

    /// <summary>L_cache, tokens.</summary>
    public int OverlongBufferLen { get; }

    /// <summary>f, reward units.</summary>
    public double OverlongPenaltyFactor { get; }

    /// <summary>The penalty (≤ 0, reward units) of a response of <paramref name="responseLength"/> tokens.</summary>
    public double Penalty(int responseLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(responseLength);
        var exceed = responseLength - (MaxResponseLength - OverlongBufferLen);
        return exceed <= 0 ? 0.0 : -OverlongPenaltyFactor * Math.Min(1.0, (double)exceed / OverlongBufferLen);
    }
}
