namespace Rlhf.Alignment;

/// <summary>
/// The four reductions of a per-token loss matrix that verl calls <c>loss_agg_mode</c> (its names are the config
/// values; <see cref="LossAggregation.Parse"/> reads them). With l_i,t the loss of token t of sequence i, |o_i| its
/// length, B the number of sequences and N the number of tokens:
/// </summary>
public enum LossAggMode
{
    /// <summary><c>token-mean</c>: Σ_i Σ_t l_i,t / N (TRL's <c>masked_mean</c>, CleanRL, DAPO's token-level policy-gradient loss,
    /// Yu et al. 2025 §3.3). Long responses weigh more.</summary>
    TokenMean = 0,

    /// <summary><c>seq-mean-token-sum</c>: 1/B Σ_i Σ_t l_i,t (a sequence-level sum, as REINFORCE).</summary>
    SeqMeanTokenSum = 1,

    /// <summary><c>seq-mean-token-mean</c>: 1/B Σ_i 1/|o_i| Σ_t l_i,t, the GRPO objective (Shao et al. 2024, eq. 3).
    /// Every sequence weighs the same, so long responses' tokens weigh less.</summary>
    SeqMeanTokenMean = 2,

    /// <summary><c>seq-mean-token-sum-norm</c>: 1/B Σ_i Σ_t l_i,t / L with a constant L, the maximum response length
    /// (Dr. GRPO, Liu et al. 2025, "Understanding R1-Zero-Like Training", arXiv:2503.20783; TRL's
    /// <c>loss_type="dr_grpo"</c>). verl divides the sum by its padded length without the 1/B; the two differ by the
    /// constant B.</summary>
    SeqMeanTokenSumNorm = 3,
}
