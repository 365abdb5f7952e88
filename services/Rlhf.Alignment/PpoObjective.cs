using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// The token-level clipped policy loss of PPO (Schulman et al. 2017, "Proximal Policy Optimization Algorithms",
/// eq. 7; the LLM form of Ouyang et al. 2022 and TRL), shared by GRPO, RLOO and REINFORCE++, which differ only in their
/// advantages and options. Per token, with ratio_t = exp(logprobs_t − old_logprobs_t):
/// pg_loss_t = max(−A_t·ratio_t, −A_t·clip(ratio_t, 1 − ε_low, 1 + ε_high)), for A_t &lt; 0 optionally capped at
/// −c·A_t (dual clip), plus with <see cref="PpoLossOptions.UseKlLoss"/> β·kl_t (<see cref="KlPenalty"/>). The sum is
/// reduced with the <see cref="LossAggregation"/> weights w_t, so ∂loss/∂logprobs_t = w_t·(∂pg_loss_t/∂logprobs_t +
/// β·∂kl_t/∂logprobs_t), with ∂pg_loss_t/∂logprobs_t = −A_t·ratio_t where the unclipped branch is active, else 0.
/// </summary>
public static class PpoObjective
{
    /// <summary>Loss, gradient w.r.t. <paramref name="logprobs"/> and TRL's diagnostics.</summary>
    /// <param name="logprobs">New log-probs of the sampled tokens (nats), B sequences.</param>
    /// <param name="oldLogprobs">Log-probs at rollout time, same layout.</param>
    /// <param name="advantages">Per-token advantages, same layout (whitened GAE, or broadcast group
    /// advantages).</param>
    /// <param name="options">Clip ranges, dual clip, aggregation, KL loss; null for defaults.</param>
    /// <param name="refLogprobs">Reference log-probs, same layout; required with
    /// <see cref="PpoLossOptions.UseKlLoss"/>.</param>
    /// <param name="sequenceMask">Per sequence: true to include it (shape (B,)); null includes all. Excluded sequences
    /// get no loss, no gradient and leave the diagnostics and the aggregation's counts: e.g.
    /// <c>mask_truncated_completions</c> passes <c>containsEos</c> (TRL), DAPO's overlong filtering likewise.</param>
    /// <exception cref="ArgumentException">Layouts differ, the mask has the wrong length, no token is included, or
    /// the KL loss lacks <paramref name="refLogprobs"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A clip range, c or β is out of range.</exception>
    public static PolicyLossResult Compute(
        TokenBatch logprobs,
        TokenBatch oldLogprobs,
        TokenBatch advantages,
        PpoLossOptions? options = null,
        TokenBatch? refLogprobs = null,
        bool[]? sequenceMask = null)
    {
        options ??= new PpoLossOptions();
        ArgumentNullException.ThrowIfNull(logprobs);
        logprobs.EnsureSameLayout(oldLogprobs, nameof(oldLogprobs));
        logprobs.EnsureSameLayout(advantages, nameof(advantages));
        var clipLow = options.EffectiveCliprangeLow;
        var clipHigh = options.EffectiveCliprangeHigh;
        ClippedSurrogate.Validate(clipLow, clipHigh, options.DualClipC);
        if (options.UseKlLoss)
        {
            Numerics.EnsureFiniteNonNegative(options.KlLossCoef, nameof(options), "kl_loss_coef");
            if (refLogprobs is null)
            {
                throw new ArgumentException("use_kl_loss needs ref_logprobs.", nameof(refLogprobs));
            }

            logprobs.EnsureSameLayout(refLogprobs, nameof(refLogprobs));
        }

        if (sequenceMask is not null)
        {
            Numerics.EnsureSameLength(logprobs.BatchSize, sequenceMask.Length, nameof(sequenceMask));
        }

        var weights = Aggregation.Weights(logprobs, options.Aggregation, sequenceMask);
        var beta = options.UseKlLoss ? options.KlLossCoef : 0.0;
        var grad = new double[logprobs.TotalTokens];
        var diagnostics = new RatioDiagnostics();
        double pgLoss = 0, klLoss = 0;
        var offsets = logprobs.Offsets;
        for (var i = 0; i < logprobs.BatchSize; i++)
        {
            if (sequenceMask is not null && !sequenceMask[i])
            {
                continue;
            }

            for (var t = offsets[i]; t < offsets[i + 1]; t++)
            {
                var term = ClippedSurrogate.Ratio(logprobs.Data[t], oldLogprobs.Data[t], advantages.Data[t], clipLow,
                    clipHigh, options.DualClipC);
                pgLoss += weights[t] * term.Loss;
                var g = term.Slope;
                if (options.UseKlLoss)
                {
                    klLoss += weights[t] * KlPenalty.Value(logprobs.Data[t], refLogprobs!.Data[t], options.KlLossType);
                    g += beta * KlPenalty.Derivative(logprobs.Data[t], refLogprobs.Data[t], options.KlLossType);
                }

                grad[t] = weights[t] * g;
                diagnostics.Add(logprobs.Data[t] - oldLogprobs.Data[t], term.Clipped, term.DualClipped);
            }
        }

        return new PolicyLossResult(
            pgLoss + beta * klLoss,
            logprobs.WithData(grad),
            pgLoss,
            klLoss,
            diagnostics.ApproxKl,
            diagnostics.ApproxKlK1,
            diagnostics.ApproxKlK3,
            diagnostics.ClipFrac,
            diagnostics.DualClipFrac,
            diagnostics.RatioMean,
            diagnostics.RatioVar);
    }
}
