namespace Rlhf.Benchmarks;

/// <summary>Order statistics of measured samples.</summary>
internal static class Stats
{
    /// <summary>The <paramref name="q"/>-quantile of ascending <paramref name="sorted"/> (nearest rank); NaN when empty.</summary>
    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
