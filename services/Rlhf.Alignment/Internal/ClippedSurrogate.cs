namespace Rlhf.Alignment.Internal;

/// <summary>
/// The two clipped surrogates of this library, written as losses (minimised):
/// <list type="bullet">
/// <item><see cref="Ratio"/>: PPO's (Schulman et al. 2017, eq. 7) with ratio r = exp(x − x_old),
/// l = max(−A·r, −A·clip(r, 1 − ε_low, 1 + ε_high)) (asymmetric bounds: DAPO's clip-higher, Yu et al. 2025 §3.1),
/// and with dual clip (Ye et al. 2020) for A &lt; 0: l = min(l, −c·A).</item>
/// <item><see cref="Linear"/>: the log-space form of P3O (Wu et al. 2023; the authors' code),
/// l = max(−A·x, −A·clamp(x, x_old − ε, x_old + ε)).</item>
/// </list>
/// Both return ∂l/∂x; it is 0 where a clipped branch binds (the loss is flat in x there).
/// </summary>
internal static class ClippedSurrogate
{
    /// <summary>One evaluation of <see cref="Ratio"/>.</summary>
    /// <param name="Loss">l.</param>
    /// <param name="Slope">∂l/∂x = (∂l/∂r)·r.</param>
    /// <param name="RatioValue">r = exp(x − x_old).</param>
    /// <param name="Clipped">The clip branch is strictly larger (TRL's <c>pg_losses2 &gt; pg_losses</c>).</param>
    /// <param name="DualClipped">The dual-clip cap binds.</param>
    public readonly record struct RatioTerm(double Loss, double Slope, double RatioValue, bool Clipped, bool DualClipped);

    public static RatioTerm Ratio(double x, double xOld, double advantage, double clipLow, double clipHigh,
        double? dualClipC)
    {
        var r = Math.Exp(x - xOld);
        var unclipped = -advantage * r;
        var clippedLoss = -advantage * Math.Clamp(r, 1.0 - clipLow, 1.0 + clipHigh);
        double l, dldr;
        var clipped = clippedLoss > unclipped;
        if (clipped)
        {
            l = clippedLoss;
            dldr = 0.0;
        }
        else
        {
            l = unclipped;
            dldr = -advantage;
        }

        var dual = false;
        if (dualClipC is { } c && advantage < 0 && -c * advantage < l)
        {
            l = -c * advantage;
            dldr = 0.0;
            dual = true;
        }

        return new RatioTerm(l, dldr * r, r, clipped, dual);
    }

    /// <summary>l = max(−A·x, −A·clamp(x, x_old − ε, x_old + ε)); returns l, ∂l/∂x and whether the clip
    /// binds.</summary>
    public static (double Loss, double Slope, bool Clipped) Linear(double x, double xOld, double advantage,
        double epsilon)
    {
        var unclipped = -advantage * x;
        var clippedLoss = -advantage * Math.Clamp(x, xOld - epsilon, xOld + epsilon);
        return clippedLoss > unclipped ? (clippedLoss, 0.0, true) : (unclipped, -advantage, false);
    }

    /// <summary>Checks ε_low ∈ (0, 1), ε_high &gt; 0 and c &gt; 1; the messages name the config keys.</summary>
    public static void Validate(double clipLow, double clipHigh, double? dualClipC)
    {
        if (!(clipLow > 0 && clipLow < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(clipLow), clipLow,
                "cliprange_low (or cliprange) must lie in (0, 1).");
        }

        if (!(clipHigh > 0) || double.IsInfinity(clipHigh))
        {
            throw new ArgumentOutOfRangeException(nameof(clipHigh), clipHigh,
                "cliprange_high (or cliprange) must be positive and finite.");
        }

        if (dualClipC is { } c && !(c > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dualClipC), c, "dual_clip_c must exceed 1.");
        }
    }
}
