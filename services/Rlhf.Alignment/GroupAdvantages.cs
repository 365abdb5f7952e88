using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// Outcome advantages computed within groups of samples of the same prompt. Layout: scores of shape (P·K,) with the K
/// samples of each prompt contiguous — <c>[p0s0, p0s1, …, p0s(K−1), p1s0, …]</c>. Broadcast the result to tokens with
/// <see cref="TokenBatch.Broadcast"/>.
/// </summary>
public static class GroupAdvantages
{
    /// <summary>Default ε added to the group std (TRL's GRPO uses 1e-4).</summary>
    public const double DefaultEpsilon = 1e-4;

    /// <summary>
    /// GRPO outcome supervision (Shao et al. 2024, §4.1.2): Â_i = (r_i − mean(group))/(std(group) + ε), with the
    /// unbiased (K − 1) std as <c>torch.std</c> and TRL. With <paramref name="scaleRewards"/> false (config key
    /// <c>scale_rewards</c>, TRL's name; verl's <c>norm_adv_by_std_in_grpo</c>) only the mean is removed, as Dr. GRPO
    /// recommends (Liu et al. 2025, "Understanding R1-Zero-Like Training": the std division biases towards
    /// groups that are too easy or too hard).
    /// </summary>
    /// <exception cref="ArgumentException">K &lt; 2 or the length is not a multiple of K.</exception>
    public static double[] Grpo(ReadOnlySpan<double> scores, int groupSize, double epsilon = DefaultEpsilon,
        bool scaleRewards = true)
    {
        EnsureGroups(scores.Length, groupSize);
        var advantages = new double[scores.Length];
        for (var g = 0; g < scores.Length; g += groupSize)
        {
            var (mean, variance) = Aggregation.MeanVariance(scores.Slice(g, groupSize), unbiased: true);
            var std = Math.Sqrt(variance);
            for (var i = g; i < g + groupSize; i++)
            {
                advantages[i] = scaleRewards ? (scores[i] - mean) / (std + epsilon) : scores[i] - mean;
            }
        }

        return advantages;
    }

    /// <summary>
    /// RLOO (Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human
    /// Feedback in LLMs"; the leave-one-out baseline of Kool et al. 2019): each sample's baseline is the mean score
    /// of the other K − 1 samples of its prompt, A_i = r_i − 1/(K − 1)·Σ_{j≠i} r_j = K/(K − 1)·(r_i − mean(group)).
    /// Scores usually already include the sequence KL penalty.
    /// </summary>
    /// <exception cref="ArgumentException">K &lt; 2 or the length is not a multiple of K.</exception>
    public static double[] Rloo(ReadOnlySpan<double> scores, int groupSize)
    {
        EnsureGroups(scores.Length, groupSize);
        var advantages = new double[scores.Length];
        for (var g = 0; g < scores.Length; g += groupSize)
        {
            var sum = 0.0;
            for (var i = g; i < g + groupSize; i++)
            {
                sum += scores[i];
            }

            for (var i = g; i < g + groupSize; i++)
            {
                advantages[i] = scores[i] - (sum - scores[i]) / (groupSize - 1);
            }
        }

        return advantages;
    }

    /// <summary>
    /// DAPO's dynamic-sampling filter (Yu et al. 2025, "DAPO", §3.2: keep a prompt only when
    /// 0 &lt; |{o_i correct}| &lt; G), generalised as verl's <c>filter_groups</c>: a group is kept when its K values are
    /// not all equal (non-zero variance). A group whose rewards are all equal has zero advantage under any group
    /// baseline, so it only dilutes the batch; the caller drops it and samples more prompts until the batch is
    /// full. Same layout as <see cref="Grpo"/>; pass the per-sample metric to filter on (score, accuracy, …).
    /// </summary>
    /// <returns>Per group: true to keep (the rewards vary). Shape (P,).</returns>
    /// <exception cref="ArgumentException">K &lt; 2 or the length is not a multiple of K.</exception>
    public static bool[] FilterGroups(ReadOnlySpan<double> scores, int groupSize)
    {
        EnsureGroups(scores.Length, groupSize);
        var keep = new bool[scores.Length / groupSize];
        for (var g = 0; g < keep.Length; g++)
        {
            var group = scores.Slice(g * groupSize, groupSize);
            for (var i = 1; i < groupSize && !keep[g]; i++)
            {
                keep[g] = group[i] != group[0];
            }
        }

        return keep;
    }

    internal static void EnsureGroups(int count, int groupSize)
    {
        if (groupSize < 2)
        {
            throw new ArgumentException("a group needs at least two samples.", nameof(groupSize));
        }

        if (count == 0 || count % groupSize != 0)
        {
            throw new ArgumentException(
                $"{count} scores do not split into groups of {groupSize}.", nameof(groupSize));
        }
    }
}
