namespace Rlhf.Alignment;

/// <summary>
/// Ziegler et al. 2019 ("Fine-Tuning Language Models from Human Preferences", §2.2) proportional controller:
/// e = clip((KL − target)/target, −0.2, 0.2); β ← β·(1 + e·n_steps/horizon). KL above target raises β, below lowers it.
/// Same update as TRL's <c>AdaptiveKLController</c>.
/// </summary>
public sealed class AdaptiveKlController : IKlController
{
    /// <summary>Largest |e| per update (Ziegler et al.: 0.2).</summary>
    public const double ErrorClip = 0.2;

    /// <summary>Creates the controller.</summary>
    /// <param name="initKlCoef">Initial β ≥ 0.</param>
    /// <param name="target">Target KL, nats per response (&gt; 0).</param>
    /// <param name="horizon">Horizon in samples (&gt; 0); larger means slower adaptation.</param>
    public AdaptiveKlController(double initKlCoef, double target, double horizon)
    {
        Internal.Numerics.EnsureFiniteNonNegative(initKlCoef, nameof(initKlCoef), "kl_coef");
        Internal.Numerics.EnsureFinitePositive(target, nameof(target));
        Internal.Numerics.EnsureFinitePositive(horizon, nameof(horizon));
        KlCoef = initKlCoef;
        Target = target;
        Horizon = horizon;
    }

    /// <inheritdoc />
    public double KlCoef { get; private set; }

    /// <summary>Target KL, nats per response.</summary>
    public double Target { get; }

    /// <summary>Horizon in samples.</summary>
    public double Horizon { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nSteps"/> is negative or the KL not
    /// finite.</exception>
    public void Update(double currentKl, int nSteps)
    {
        if (!double.IsFinite(currentKl))
        {
            throw new ArgumentOutOfRangeException(nameof(currentKl), currentKl, "current KL must be finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(nSteps);
        var proportionalError = Math.Clamp(currentKl / Target - 1.0, -ErrorClip, ErrorClip);
        KlCoef *= 1.0 + proportionalError * nSteps / Horizon;
    }

    /// <inheritdoc />
    public KlControllerState GetState() => new(KlControllers.AdaptiveKind, KlCoef, Target, Horizon);
}
