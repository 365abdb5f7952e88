namespace Rlhf.Alignment;

/// <summary>
/// Per-token KL estimates and their derivatives w.r.t. <c>logprobs</c> (see <see cref="KlEstimator"/> for the
/// formulas). Inputs are log-probabilities in nats of the sampled response tokens, same layout; outputs have that
/// layout too. Source: Schulman, "Approximating KL divergence" (2020); Ouyang et al. 2022 eq. 2; Shao et al. 2024 eq.
/// 4.
/// </summary>
public static class KlPenalty
{
    /// <summary>kl_t for every response token.</summary>
    /// <exception cref="ArgumentException">The layouts differ.</exception>
    public static TokenBatch Compute(TokenBatch logprobs, TokenBatch refLogprobs, KlEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(logprobs);
        logprobs.EnsureSameLayout(refLogprobs, nameof(refLogprobs));
        var kl = new double[logprobs.TotalTokens];
        for (var t = 0; t < kl.Length; t++)
        {
            kl[t] = Value(logprobs.Data[t], refLogprobs.Data[t], estimator);
        }

        return logprobs.WithData(kl);
    }

    /// <summary>∂kl_t/∂logprobs_t for every response token (the estimator is elementwise, so this is the diagonal of
    /// the Jacobian).</summary>
    public static TokenBatch Gradient(TokenBatch logprobs, TokenBatch refLogprobs, KlEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(logprobs);
        logprobs.EnsureSameLayout(refLogprobs, nameof(refLogprobs));
        var grad = new double[logprobs.TotalTokens];
        for (var t = 0; t < grad.Length; t++)
        {
            grad[t] = Derivative(logprobs.Data[t], refLogprobs.Data[t], estimator);
        }

        return logprobs.WithData(grad);
    }

    /// <summary>Reads an estimator name: this library's <c>k1</c>, <c>k2</c>, <c>k3</c>, <c>abs</c>, or verl's
    /// <c>kl_loss_type</c> / <c>kl_penalty</c> names <c>kl</c> (k1), <c>mse</c> (k2), <c>low_var_kl</c> (k3).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static KlEstimator ParseEstimator(string name) => name switch
    {
        "k1" or "kl" => KlEstimator.K1,
        "k2" or "mse" => KlEstimator.K2,
        "k3" or "low_var_kl" => KlEstimator.K3,
        "abs" => KlEstimator.Abs,
        _ => throw new ArgumentException(
            $"KL estimator must be one of k1|kl, k2|mse, k3|low_var_kl, abs; got '{name}'.", nameof(name)),
    };

    /// <summary>One token's estimate.</summary>
    public static double Value(double logprob, double refLogprob, KlEstimator estimator)
    {
        var delta = logprob - refLogprob;
        return estimator switch
        {
            KlEstimator.K1 => delta,
            KlEstimator.K2 => 0.5 * delta * delta,
            // (r − 1) − log r with r = e^−Δ, log r = −Δ.
            KlEstimator.K3 => Math.Exp(-delta) - 1.0 + delta,
            KlEstimator.Abs => Math.Abs(delta),
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "unknown KL estimator."),
        };
    }

    /// <summary>One token's derivative w.r.t. its logprob.</summary>
    public static double Derivative(double logprob, double refLogprob, KlEstimator estimator)
    {
        var delta = logprob - refLogprob;
        return estimator switch
        {
            KlEstimator.K1 => 1.0,
            KlEstimator.K2 => delta,
            KlEstimator.K3 => 1.0 - Math.Exp(-delta),
            KlEstimator.Abs => Math.Sign(delta),
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "unknown KL estimator."),
        };
    }
}
