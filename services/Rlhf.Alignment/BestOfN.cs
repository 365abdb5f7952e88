namespace Rlhf.Alignment;

/// <summary>
/// Best-of-n rejection sampling (Touvron et al. 2023, "Llama 2", §3.2.3; Dong et al. 2023, "RAFT"): sample n responses
/// per prompt, keep the highest-scoring one (optionally only when it reaches a threshold), and fine-tune on the kept
/// responses with <see cref="SftObjective"/>.
/// </summary>
public static class BestOfN
{
    /// <summary>Indices (into <paramref name="scores"/>) of the best sample of each prompt whose best score is
    /// ≥ <paramref name="minScore"/> (every prompt when null); ties go to the first. Layout as
    /// <see cref="GroupAdvantages"/>: the n samples of a prompt are contiguous. Shape (≤ P,), in prompt order.</summary>
    /// <exception cref="ArgumentException">n &lt; 1, no scores, or the length is not a multiple of n.</exception>
    public static int[] SelectBest(ReadOnlySpan<double> scores, int n, double? minScore = null)
    {
        if (n < 1 || scores.Length == 0 || scores.Length % n != 0)
        {
            throw new ArgumentException($"{scores.Length} scores do not split into groups of {n}.", nameof(n));
        }

        var best = new List<int>(scores.Length / n);
        for (var start = 0; start < scores.Length; start += n)
        {
            var arg = start;
            for (var i = start + 1; i < start + n; i++)
            {
                if (scores[i] > scores[arg])
                {
                    arg = i;
                }
            }

            if (minScore is not { } threshold || scores[arg] >= threshold)
            {
                best.Add(arg);
            }
        }

        return [.. best];
    }
}
