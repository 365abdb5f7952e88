namespace Rlhf.Alignment.Internal;

/// <summary>Numerically stable scalar helpers.</summary>
internal static class Numerics
{
    /// <summary>softplus(x) = log(1 + e^x), stable for large |x|; −log σ(z) = softplus(−z).</summary>
    public static double Softplus(double x) => x > 0 ? x + Log1P(Math.Exp(-x)) : Log1P(Math.Exp(x));

    /// <summary>log(1 + y) for y ≥ 0, accurate for tiny y (series) where Math.Log(1 + y) would round.</summary>
    public static double Log1P(double y) => y < 1e-4 ? y * (1.0 - y * (0.5 - y / 3.0)) : Math.Log(1.0 + y);

    /// <summary>σ(x) = 1/(1 + e^−x), stable for large |x|.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        var e = Math.Exp(x);
        return e / (1.0 + e);
    }

    public static void EnsureFinitePositive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite.");
        }
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for <paramref name="paramName"/> unless
    /// <paramref name="value"/> is finite and ≥ 0; the message names it <paramref name="label"/> (e.g. the config
    /// key <c>kl_coef</c>).</summary>
    public static void EnsureFiniteNonNegative(double value, string paramName, string label)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{label} must be finite and >= 0.");
        }
    }

    public static void EnsureSameLength(int expected, int actual, string name)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"{name} has length {actual}, expected {expected}.", name);
        }
    }
}
