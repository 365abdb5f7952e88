namespace Rlhf.Alignment;

/// <summary>
/// How reward-model scores become the scalar placed on the last response token. Applied in this order:
/// 1. missing-EOS penalty, 2. overlong penalty, 3. normalization with running moments, 4. clipping.
/// </summary>
public sealed record RewardOptions
{
    /// <summary>Penalty (reward units, finite and ≥ 0) for responses without EOS, subtracted from the score (or, in
    /// <see cref="MissingEosMode.Replace"/>, negated to replace it); null disables it.</summary>
    public double? MissingEosPenalty { get; init; }

    /// <summary>Whether the penalty offsets or replaces the score.</summary>
    public MissingEosMode MissingEosMode { get; init; } = MissingEosMode.Offset;

    /// <summary>DAPO's soft overlong punishment, added to the score of every response by its length; null disables
    /// it.</summary>
    public OverlongPenalty? Overlong { get; init; }

    /// <summary>When true, scores are merged into the caller's <see cref="RunningMoments"/> and then replaced by
    /// (score − running mean)/running std (TRL <c>use_score_scaling</c> + <c>use_score_norm</c>).</summary>
    public bool NormalizeScores { get; init; }

    /// <summary>When set, scores are clipped to [−ScoreClip, ScoreClip] after normalization (TRL
    /// <c>score_clip</c>).</summary>
    public double? ScoreClip { get; init; }
}
