namespace Rlhf.Alignment;

/// <summary>Hyper-parameters of <see cref="P3oObjective"/>; the names follow the authors' P3O trainer (a fork of
/// trlx, <c>P3OConfig</c>) and this product's config keys.</summary>
public sealed record P3oOptions
{
    /// <summary><c>p3o_clip</c>: <see cref="P3oClipping.Separate"/> (V1) or <see cref="P3oClipping.Joint"/> (V2, the
    /// default, as in the authors' code).</summary>
    public P3oClipping Clipping { get; init; } = P3oClipping.Joint;

    /// <summary><c>cliprange</c>: ε, in (0, 1). V1 clips ρ to [1 − ε, 1 + ε]; V2 and per-token clipping clip the log
    /// ratio to its rollout value ± ε. The authors use 0.2.</summary>
    public double Cliprange { get; init; } = 0.2;

    /// <summary><c>p3o_cliprange_ratio</c>: c &gt; 1 of the stop-gradient importance weight clamp(·, 1/c, c) (the
    /// authors' <c>cliprange_ratio</c>, 10 in their configs).</summary>
    public double CliprangeRatio { get; init; } = 10.0;

    /// <summary><c>kl_coef</c>: β ≥ 0 of the KL-shaped reward difference q = (r_1 − r_2) − β·(KL_1 − KL_2)
    /// (0.05 and 0.01 in the authors' configs).</summary>
    public double KlCoef { get; init; } = 0.05;

    /// <summary><c>p3o_token_average</c>: divide the summed pair losses by the number of response tokens of the batch
    /// (both responses of every pair; the authors' <c>avg_tokenwise</c>) instead of by the number of responses 2B.
    /// Both normalisations give the same gradient direction; they differ in scale by the mean response
    /// length.</summary>
    public bool TokenAverage { get; init; }

    /// <summary><c>p3o_clip_per_token</c>: clip every token's log-prob to its rollout value ± ε instead of the
    /// sequence-level D (the authors' <c>clip_tokenwise</c>). Defined for <see cref="P3oClipping.Joint"/> only: its
    /// weight is the joint weight. With nothing clipped it has exactly the gradient of V2.</summary>
    public bool ClipPerToken { get; init; }
}
