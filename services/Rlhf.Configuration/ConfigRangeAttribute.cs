using System.Globalization;

namespace Rlhf.Configuration;

/// <summary>
/// The allowed range of a numeric config key, checked after loading; a null value (optional key) is not checked.
/// The error names the key and the range, e.g. <c>cliprange must be in (0, 1] (got 1.5)</c>.
/// </summary>
/// <param name="min">Lower bound (use <see cref="double.NegativeInfinity"/> for none).</param>
/// <param name="max">Upper bound (use <see cref="double.PositiveInfinity"/> for none).</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigRangeAttribute(double min, double max = double.PositiveInfinity) : Attribute
{
    /// <summary>Lower bound.</summary>
    public double Min { get; } = min;

    /// <summary>Upper bound.</summary>
    public double Max { get; } = max;

    /// <summary>True when <see cref="Min"/> itself is not allowed.</summary>
    public bool MinExclusive { get; init; }

    /// <summary>True when <see cref="Max"/> itself is not allowed.</summary>
    public bool MaxExclusive { get; init; }

    /// <summary>Whether <paramref name="value"/> lies in the range (NaN never does).</summary>
    public bool Contains(double value) =>
        (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    /// <summary>The range in words: "≥ 1", "&gt; 0", "in [0, 1]", "in (0, 1]".</summary>
    public string Describe()
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (double.IsPositiveInfinity(Max))
            return (MinExclusive ? "> " : "≥ ") + F(Min);
        if (double.IsNegativeInfinity(Min))
            return (MaxExclusive ? "< " : "≤ ") + F(Max);
        return $"in {(MinExclusive ? "(" : "[")}{F(Min)}, {F(Max)}{(MaxExclusive ? ")" : "]")}";
    }
}
