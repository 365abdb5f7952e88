namespace Rlhf.Alignment;

/// <summary>
/// Hyper-parameters of the token-level clipped policy loss (<see cref="PpoObjective"/>), which PPO, GRPO, RLOO and
/// REINFORCE++ share; the property names are the config keys (TRL / verl / OpenRLHF spelling) in .NET case.
/// </summary>
public sealed record PpoLossOptions
{
    /// <summary><c>cliprange</c>: ε of clip(ratio, 1 − ε, 1 + ε), in (0, 1). TRL/CleanRL default 0.2. The default of
    /// both <see cref="CliprangeLow"/> and <see cref="CliprangeHigh"/>.</summary>
    public double Cliprange { get; init; } = 0.2;

    /// <summary><c>cliprange_low</c>: ε_low of the lower bound 1 − ε_low, in (0, 1); null means
    /// <see cref="Cliprange"/>.</summary>
    public double? CliprangeLow { get; init; }

    /// <summary><c>cliprange_high</c>: ε_high of the upper bound 1 + ε_high (&gt; 0); null means
    /// <see cref="Cliprange"/>. DAPO's clip-higher (Yu et al. 2025, "DAPO", arXiv:2503.14476, §3.1) raises it (0.28 with
    /// ε_low = 0.2) so that unlikely tokens can gain probability and entropy does not collapse.</summary>
    public double? CliprangeHigh { get; init; }

    /// <summary><c>dual_clip_c</c>: c &gt; 1 of dual-clip PPO (Ye et al. 2020, "Mastering Complex Control in MOBA
    /// Games with Deep Reinforcement Learning", arXiv:1912.09729, the dual-clip objective): for A &lt; 0 the token loss is capped at −c·A, so a token whose
    /// ratio has grown far above 1 with a negative advantage cannot dominate. verl's <c>clip_ratio_c</c> (default 3).
    /// Null disables it.</summary>
    public double? DualClipC { get; init; }

    /// <summary><c>loss_agg_mode</c>: how token losses are reduced (default token-mean, as TRL's PPO).</summary>
    public LossAggregation Aggregation { get; init; } = LossAggregation.TokenMean;

    /// <summary><c>use_kl_loss</c>: add <see cref="KlLossCoef"/>·agg(kl_t) with kl_t = <see cref="KlLossType"/>(logprobs,
    /// ref_logprobs) to the loss and differentiate it (GRPO, Shao et al. 2024 eq. 3; verl's <c>use_kl_loss</c>). Needs
    /// ref_logprobs. Independent of the KL penalty in the reward (<see cref="PerTokenRewards"/>); use one or the
    /// other.</summary>
    public bool UseKlLoss { get; init; }

    /// <summary><c>kl_loss_coef</c>: β ≥ 0 of the KL loss (verl default 0.001; GRPO 0.04).</summary>
    public double KlLossCoef { get; init; } = 0.001;

    /// <summary><c>kl_loss_type</c>: the per-token estimator (verl's names <c>kl</c>, <c>mse</c>,
    /// <c>low_var_kl</c>, <c>abs</c> = k1, k2, k3, abs; read them with <see cref="KlPenalty.ParseEstimator"/>).
    /// Default k3 (<c>low_var_kl</c>), verl's default and GRPO's eq. 4.</summary>
    public KlEstimator KlLossType { get; init; } = KlEstimator.K3;

    /// <summary>ε_low in effect.</summary>
    public double EffectiveCliprangeLow => CliprangeLow ?? Cliprange;

    /// <summary>ε_high in effect.</summary>
    public double EffectiveCliprangeHigh => CliprangeHigh ?? Cliprange;

    /// <summary>GRPO's loss (Shao et al. 2024, "DeepSeekMath", eq. 3): the clipped surrogate plus β·k3 KL to the
    /// reference in the loss, reduced as 1/G Σ_i 1/|o_i| Σ_t (seq-mean-token-mean).</summary>
    /// <param name="beta">β ≥ 0 (0.04 in the paper).</param>
    public static PpoLossOptions Grpo(double beta = 0.04) => new()
    {
        UseKlLoss = true,
        KlLossCoef = beta,
        KlLossType = KlEstimator.K3,
        Aggregation = LossAggregation.SeqMeanTokenMean,
    };
}
