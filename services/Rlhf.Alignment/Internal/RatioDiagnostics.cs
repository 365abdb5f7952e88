namespace Rlhf.Alignment.Internal;

/// <summary>
/// Token means of the policy-move diagnostics over the tokens added, with d = logprobs − old_logprobs and
/// r = e^d: TRL's approxkl ½·mean(d²) (PPOTrainer), k1 mean(−d), k3 mean((r − 1) − d) (Schulman 2020), the clip
/// fractions, and the mean and population variance of r.
/// </summary>
internal sealed class RatioDiagnostics
{
    private int _count;
    private int _clipped;
    private int _dualClipped;
    private double _halfSquare;
    private double _k1;
    private double _k3;
    private double _ratio;
    private double _ratioSquare;

    public void Add(double logRatio, bool clipped = false, bool dualClipped = false)
    {
        var r = Math.Exp(logRatio);
        _count++;
        _clipped += clipped ? 1 : 0;
        _dualClipped += dualClipped ? 1 : 0;
        _halfSquare += 0.5 * logRatio * logRatio;
        _k1 += -logRatio;
        _k3 += r - 1.0 - logRatio;
        _ratio += r;
        _ratioSquare += r * r;
    }

    public double ApproxKl => _halfSquare / _count;

    public double ApproxKlK1 => _k1 / _count;

    public double ApproxKlK3 => _k3 / _count;

    public double ClipFrac => (double)_clipped / _count;

    public double DualClipFrac => (double)_dualClipped / _count;

    public double RatioMean => _ratio / _count;

    /// <summary>E[r²] − E[r]², clamped at 0 against rounding.</summary>
    public double RatioVar => Math.Max(0.0, _ratioSquare / _count - RatioMean * RatioMean);
}
