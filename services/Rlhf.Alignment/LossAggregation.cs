namespace Rlhf.Alignment;

/// <summary>
/// How per-token losses l_t are reduced to one scalar: a <see cref="LossAggMode"/> and, for
/// <see cref="LossAggMode.SeqMeanTokenSumNorm"/>, its constant length L. The gradient of the scalar w.r.t. l_t is the
/// token's weight w_t, so every loss here returns <c>grad[t] = w_t · ∂l_t/∂x_t</c>. The weights are:
/// token-mean 1/N, seq-mean-token-sum 1/B, seq-mean-token-mean 1/(B·|o_i|), seq-mean-token-sum-norm 1/(B·L).
/// </summary>
/// <remarks>
/// B counts the sequences that take part in the loss (see the sequence masks of <see cref="PpoObjective"/>); for
/// seq-mean-token-mean an empty sequence has no mean and is left out of B, for the sum modes it counts with a sum of 0.
/// </remarks>
public sealed record LossAggregation
{
    private LossAggregation(LossAggMode mode, int? normLength)
    {
        Mode = mode;
        NormLength = normLength;
    }

    /// <summary>The reduction.</summary>
    public LossAggMode Mode { get; }

    /// <summary>L of <see cref="LossAggMode.SeqMeanTokenSumNorm"/> (tokens, &gt; 0); null for the other modes.</summary>
    public int? NormLength { get; }

    /// <summary><c>token-mean</c>.</summary>
    public static LossAggregation TokenMean { get; } = new(LossAggMode.TokenMean, null);

    /// <summary><c>seq-mean-token-sum</c>.</summary>
    public static LossAggregation SeqMeanTokenSum { get; } = new(LossAggMode.SeqMeanTokenSum, null);

    /// <summary><c>seq-mean-token-mean</c> (GRPO).</summary>
    public static LossAggregation SeqMeanTokenMean { get; } = new(LossAggMode.SeqMeanTokenMean, null);

    /// <summary><c>seq-mean-token-sum-norm</c> (Dr. GRPO) with L = <paramref name="maxResponseLength"/>, normally the
    /// run's <c>max_new_tokens</c>: a constant, so that the loss scale does not depend on the batch's lengths.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxResponseLength"/> is not positive.</exception>
    public static LossAggregation SeqMeanTokenSumNorm(int maxResponseLength)
    {
        if (maxResponseLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxResponseLength), maxResponseLength,
                "seq-mean-token-sum-norm needs a positive constant length (the maximum response length).");
        }

        return new LossAggregation(LossAggMode.SeqMeanTokenSumNorm, maxResponseLength);
    }

    /// <summary>The config spelling of a mode (verl's <c>loss_agg_mode</c> values).</summary>
    public static string ConfigName(LossAggMode mode) => mode switch
    {
        LossAggMode.TokenMean => "token-mean",
        LossAggMode.SeqMeanTokenSum => "seq-mean-token-sum",
        LossAggMode.SeqMeanTokenMean => "seq-mean-token-mean",
        LossAggMode.SeqMeanTokenSumNorm => "seq-mean-token-sum-norm",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown loss_agg_mode."),
    };

    /// <summary>Reads a <c>loss_agg_mode</c> config value (one of the four names of <see cref="ConfigName"/>).</summary>
    /// <param name="mode">The config value.</param>
    /// <param name="maxResponseLength">L, required for <c>seq-mean-token-sum-norm</c> (e.g. <c>max_new_tokens</c>),
    /// ignored otherwise.</param>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones), or
    /// <c>seq-mean-token-sum-norm</c> without a positive length.</exception>
    public static LossAggregation Parse(string mode, int? maxResponseLength = null)
    {
        ArgumentNullException.ThrowIfNull(mode);
        foreach (var m in Enum.GetValues<LossAggMode>())
        {
            if (ConfigName(m) == mode)
            {
                return m switch
                {
                    LossAggMode.TokenMean => TokenMean,
                    LossAggMode.SeqMeanTokenSum => SeqMeanTokenSum,
                    LossAggMode.SeqMeanTokenMean => SeqMeanTokenMean,
                    _ => maxResponseLength is { } length
                        ? SeqMeanTokenSumNorm(length)
                        : throw new ArgumentException(
                            "loss_agg_mode seq-mean-token-sum-norm needs the constant length L (max_new_tokens).",
                            nameof(maxResponseLength)),
                };
            }
        }

        var valid = string.Join(" | ", Enum.GetValues<LossAggMode>().Select(ConfigName));
        throw new ArgumentException($"loss_agg_mode must be one of {valid}, got '{mode}'.", nameof(mode));
    }

    /// <summary>The config spelling, with L for seq-mean-token-sum-norm: <c>seq-mean-token-sum-norm(L=64)</c>.</summary>
    public override string ToString() =>
        NormLength is { } l ? $"{ConfigName(Mode)}(L={l})" : ConfigName(Mode);
}
