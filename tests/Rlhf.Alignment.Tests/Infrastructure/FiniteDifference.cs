namespace Rlhf.Alignment.Tests.Infrastructure;

/// <summary>Central finite differences of a scalar loss, one input coordinate at a time.</summary>
internal static class FiniteDifference
{
    private const double Step = 1e-6;

    /// <summary>
    /// True when every coordinate's central difference matches <paramref name="gradient"/> within
    /// 1e-6·(1 + |g|). Coordinates sitting on a kink of a max/min/clip (the two one-sided slopes disagree by more
    /// than 1e-3) are skipped: there the loss is not differentiable and autograd's choice is a convention. False
    /// when no coordinate was checked (no inputs, or all on kinks): such a check proves nothing.
    /// </summary>
    public static bool Matches(double[] inputs, ReadOnlySpan<double> gradient, Func<double> loss)
    {
        if (gradient.Length != inputs.Length)
        {
            return false;
        }

        var checkedCoordinates = 0;
        var center = loss();
        for (var t = 0; t < inputs.Length; t++)
        {
            var saved = inputs[t];
            inputs[t] = saved + Step;
            var plus = loss();
            inputs[t] = saved - Step;
            var minus = loss();
            inputs[t] = saved;
            var forward = (plus - center) / Step;
            var backward = (center - minus) / Step;
            if (Math.Abs(forward - backward) > 1e-3)
            {
                continue;
            }

            var central = (plus - minus) / (2 * Step);
            if (!(Math.Abs(central - gradient[t]) <= 1e-6 * (1 + Math.Abs(gradient[t]))))
            {
                return false;
            }

            checkedCoordinates++;
        }

        return checkedCoordinates > 0;
    }
}
