using System.Globalization;

namespace Rlhf.Orchestration.Reporting;

/// <summary>
/// "Nice" axis scales: ticks at k·step with step ∈ {1, 2, 2.5, 5}·10^m, and the axis widened to the ticks just
/// outside the data ("loose labelling", Heckbert 1990, "Nice Numbers for Graph Labels", Graphics Gems), so both ends
/// carry a label. Among the candidate steps the one whose interval count is nearest the target wins (ties: without
/// 2.5, then the larger step); a range of 0 to 9.9 gets 0, 2, …, 10 rather than 0 and 5.
/// </summary>
internal static class AxisTicks
{
    private static readonly double[] Mantissas = [1, 2, 2.5, 5];

    /// <summary>
    /// The axis [Min, Max] and its tick step for data in [<paramref name="min"/>, <paramref name="max"/>] with about
    /// <paramref name="target"/> intervals (3 to 10). With <paramref name="integer"/> the step is a whole number ≥ 1
    /// (iterations). Equal or reversed bounds are widened around the value first.
    /// </summary>
    public static (double Min, double Max, double Step) NiceScale(double min, double max, int target = 5, bool integer = false)
    {
        if (!(max > min))
        {
            var pad = integer ? 1 : Math.Max(Math.Abs(min) * 0.1, 1e-3);
            (min, max) = (min - pad, max + pad);
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10((max - min) / target)));
        (double Min, double Max, double Step)? best = null;
        var bestScore = double.MaxValue;
        foreach (var scale in new[] { magnitude / 10, magnitude, magnitude * 10 })
        {
            foreach (var mantissa in Mantissas)
            {
                var step = mantissa * scale;
                if (integer && (step < 1 || mantissa == 2.5 && scale < 10))
                    continue;
                var lo = Math.Floor(min / step + 1e-9) * step;
                var hi = Math.Ceiling(max / step - 1e-9) * step;
                var intervals = (int)Math.Round((hi - lo) / step);
                if (intervals < 3 || intervals > 10)
                    continue;
                // nearest interval count first, then prefer 1/2/5 over 2.5, then the larger step
                var score = Math.Abs(intervals - target) * 2 + (mantissa == 2.5 ? 1 : 0);
                if (score < bestScore || score == bestScore && best is { } b && step > b.Step)
                {
                    bestScore = score;
                    best = (lo, hi, step);
                }
            }
        }
        if (best is { } found)
            return found;
        var fallback = integer ? Math.Max(1, Math.Ceiling((max - min) / target)) : (max - min) / target;
        return (Math.Floor(min / fallback) * fallback, Math.Ceiling(max / fallback) * fallback, fallback);
    }

    /// <summary>Ticks k·step inside [min, max].</summary>
    public static IReadOnlyList<double> Ticks(double min, double max, double step)
    {
        var ticks = new List<double>();
        for (var k = Math.Ceiling(min / step - 1e-9); k * step <= max + step * 1e-9; k++)
            ticks.Add(k * step);
        return ticks;
    }

    /// <summary>A tick label with as many decimals as the step needs (2.5 → one, 0.05 → two).</summary>
    public static string Format(double value, double step)
    {
        if (Math.Abs(value) < step * 1e-9)
            value = 0;
        var decimals = 0;
        while (decimals < 6 && Math.Abs(step * Math.Pow(10, decimals) - Math.Round(step * Math.Pow(10, decimals))) > 1e-6 * Math.Pow(10, decimals))
            decimals++;
        return decimals <= 6 && Math.Abs(value) < 1e7 && step >= 1e-6
            ? value.ToString("F" + decimals, CultureInfo.InvariantCulture)
            : value.ToString("G3", CultureInfo.InvariantCulture);
    }
}
