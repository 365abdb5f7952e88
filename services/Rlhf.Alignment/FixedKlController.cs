namespace Rlhf.Alignment;

/// <summary>A constant β; <see cref="Update"/> does nothing (TRL <c>FixedKLController</c>).</summary>
public sealed class FixedKlController : IKlController
{
    /// <summary>Creates the controller; <paramref name="klCoef"/> must be finite and ≥ 0.</summary>
    public FixedKlController(double klCoef)
    {
        Internal.Numerics.EnsureFiniteNonNegative(klCoef, nameof(klCoef), "kl_coef");
        KlCoef = klCoef;
    }

    /// <inheritdoc />
    public double KlCoef { get; }

    /// <inheritdoc />
    public void Update(double currentKl, int nSteps)
    {
    }

    /// <inheritdoc />
    public KlControllerState GetState() => new(KlControllers.FixedKind, KlCoef);
}
