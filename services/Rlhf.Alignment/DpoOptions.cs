namespace Rlhf.Alignment;

/// <summary>Hyper-parameters of <see cref="DpoObjective"/> (TRL's <c>DPOConfig</c> names).</summary>
public sealed record DpoOptions
{
    /// <summary><c>beta</c>: β &gt; 0, inverse temperature of the implicit reward β·(log π − log π_ref); TRL default
    /// 0.1.</summary>
    public double Beta { get; init; } = 0.1;

    /// <summary><c>loss_type</c>.</summary>
    public DpoLossType LossType { get; init; } = DpoLossType.Sigmoid;

    /// <summary><c>label_smoothing</c>: ls, the assumed rate of flipped labels; sigmoid allows [0, 0.5], robust
    /// [0, 0.5); hinge and ipo require 0.</summary>
    public double LabelSmoothing { get; init; }
}
