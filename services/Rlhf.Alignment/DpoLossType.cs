namespace Rlhf.Alignment;

/// <summary>
/// DPO's loss on the margin z = (log π − log π_ref)(chosen) − (log π − log π_ref)(rejected), with TRL's meanings of
/// <c>loss_type</c> (ls = <c>label_smoothing</c>, β = <c>beta</c>); config values are the snake_case names.
/// </summary>
public enum DpoLossType
{
    /// <summary><c>sigmoid</c>: −(1 − ls)·log σ(βz) − ls·log σ(−βz). ls = 0 is DPO (Rafailov et al. 2023, eq. 7);
    /// ls &gt; 0 is conservative DPO (Mitchell 2023, "A note on DPO with noisy preferences"), ls ∈ [0, 0.5].</summary>
    Sigmoid = 0,

    /// <summary><c>robust</c>: (−(1 − ls)·log σ(βz) + ls·log σ(−βz))/(1 − 2ls), the rDPO loss, unbiased under a
    /// label-flip rate ls (Chowdhury, Kini, Natarajan 2024, "Provably Robust DPO", arXiv:2403.00409), ls ∈ [0, 0.5).
    /// The formula is TRL's <c>loss_type="robust"</c>.</summary>
    Robust = 1,

    /// <summary><c>hinge</c>: relu(1 − βz) = β·max(0, 1/β − z), the calibration hinge of SLiC-HF (Zhao et al. 2023,
    /// "SLiC-HF: Sequence Likelihood Calibration with Human Feedback", arXiv:2305.10425) on the reference-normalised
    /// margin, as TRL's <c>loss_type="hinge"</c>. No label smoothing.</summary>
    Hinge = 2,

    /// <summary><c>ipo</c>: (z − 1/(2β))², the empirical IPO loss (Azar et al. 2023, "A General Theoretical Paradigm to
    /// Understand Learning from Human Preferences", arXiv:2310.12036), with β as τ and z formed from per-token
    /// <b>mean</b> log-probs (TRL's <c>loss_type="ipo"</c> divides each sequence's log-prob by its length). No label
    /// smoothing.</summary>
    Ipo = 3,
}
