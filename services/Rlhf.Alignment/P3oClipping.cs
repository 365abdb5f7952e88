namespace Rlhf.Alignment;

/// <summary>
/// The two clipped objectives of P3O (Wu, Zhu, Zhang, Wen, Ramchandran, Jiao 2023, "Pairwise Proximal Policy
/// Optimization", arXiv:2310.00212, Eq. 6): config key <c>p3o_clip</c>. See <see cref="P3oObjective"/> for the
/// formulas.
/// </summary>
public enum P3oClipping
{
    /// <summary><c>separate</c> (V1): each response's trajectory ratio ρ_k is clipped PPO-style on its own, weighted by
    /// the stop-gradient clamped ratio of the other response.</summary>
    Separate = 0,

    /// <summary><c>joint</c> (V2): the weight sg(clamp(ρ_1·ρ_2)) times the log-ratio difference D, clipped in log
    /// space to D_old ± ε. The variant of the authors' code.</summary>
    Joint = 1,
}
