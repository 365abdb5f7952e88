namespace Rlhf.Alignment.Internal;

/// <summary>Per-token weights w_t of a <see cref="LossAggregation"/>, and plain means for diagnostics.</summary>
internal static class Aggregation
{
    /// <summary>
    /// Weights over the layout of <paramref name="batch"/>, shape (N,): the formulas of <see cref="LossAggregation"/>,
    /// over the sequences with <c>include[i]</c> (all when null); excluded sequences get weight 0.
    /// </summary>
    /// <exception cref="ArgumentException">No included token; the mask has the wrong length; or, for
    /// seq-mean-token-sum-norm, a sequence longer than L.</exception>
    public static double[] Weights(TokenBatch batch, LossAggregation aggregation, ReadOnlySpan<bool> include = default)
    {
        ArgumentNullException.ThrowIfNull(aggregation);
        var masked = !include.IsEmpty;
        if (masked)
        {
            Numerics.EnsureSameLength(batch.BatchSize, include.Length, "sequenceMask");
        }

        int sequences = 0, nonEmpty = 0, tokens = 0;
        for (var i = 0; i < batch.BatchSize; i++)
        {
            if (masked && !include[i])
            {
                continue;
            }

            sequences++;
            nonEmpty += batch.Length(i) > 0 ? 1 : 0;
            tokens += batch.Length(i);
            if (aggregation.NormLength is { } l && batch.Length(i) > l)
            {
                throw new ArgumentException(
                    $"sequence {i} has {batch.Length(i)} tokens, more than the length L = {l} of " +
                    "seq-mean-token-sum-norm; L must be the maximum response length.", nameof(batch));
            }
        }

        if (tokens == 0)
        {
            throw new ArgumentException(
                masked
                    ? "the sequence mask leaves no response token in the loss (skip this minibatch)."
                    : "the batch has no response tokens to average over.", nameof(batch));
        }

        var weights = new double[batch.TotalTokens];
        var offsets = batch.Offsets;
        for (var i = 0; i < batch.BatchSize; i++)
        {
            var n = batch.Length(i);
            if (n == 0 || (masked && !include[i]))
            {
                continue;
            }

            var w = aggregation.Mode switch
            {
                LossAggMode.TokenMean => 1.0 / tokens,
                LossAggMode.SeqMeanTokenSum => 1.0 / sequences,
                LossAggMode.SeqMeanTokenMean => 1.0 / ((double)nonEmpty * n),
                LossAggMode.SeqMeanTokenSumNorm => 1.0 / ((double)sequences * aggregation.NormLength!.Value),
                _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation.Mode,
                    "unknown loss_agg_mode."),
            };
            weights.AsSpan(offsets[i], n).Fill(w);
        }

        return weights;
    }

    /// <summary>Σ_t w_t · values_t.</summary>
    public static double Dot(ReadOnlySpan<double> weights, ReadOnlySpan<double> values)
    {
        var s = 0.0;
        for (var t = 0; t < values.Length; t++)
        {
            s += weights[t] * values[t];
        }

        return s;
    }

    /// <summary>Plain mean (diagnostics are token means); NaN when empty.</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        var s = 0.0;
        foreach (var v in values)
        {
            s += v;
        }

        return s / values.Length;
    }

    /// <summary>Mean and variance; <paramref name="unbiased"/> divides by N − 1 (NaN below two values).</summary>
    public static (double Mean, double Variance) MeanVariance(ReadOnlySpan<double> values, bool unbiased)
    {
        var mean = Mean(values);
        var ss = 0.0;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }

        var denominator = unbiased ? values.Length - 1 : values.Length;
        return (mean, denominator > 0 ? ss / denominator : double.NaN);
    }
}
