namespace Rlhf.ModelServices;

/// <summary>The <c>Reward</c> configuration section: micro-batching of ScoreResponses, and whether a calibration is required.</summary>
public sealed class RewardServiceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Reward";

    /// <summary>Merge concurrent ScoreResponses calls into one forward pass. Default true.</summary>
    public bool Batching { get; set; } = true;

    /// <summary>Most sequences per merged forward pass. Default 64.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>Longest wait for more requests after the first, milliseconds. Default 5.</summary>
    public int MaxWaitMs { get; set; } = 5;

    /// <summary>
    /// Refuse to score without a <c>calibration.json</c> next to the weights (health NOT_SERVING, ScoreResponses
    /// FAILED_PRECONDITION) instead of serving raw scores. Default false: a llama2.c file or a directory without one
    /// serves raw scores. A calibration that exists but is invalid is refused either way.
    /// </summary>
    public bool RequireCalibration { get; set; }

    /// <summary>Throws with a message naming the key when the options are unusable.</summary>
    public void Validate()
    {
        if (MaxBatchSize < 1)
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(RewardServiceOptions), ["Reward:MaxBatchSize must be at least 1"]);
        if (MaxWaitMs < 0 || MaxWaitMs > 10_000)
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(RewardServiceOptions), ["Reward:MaxWaitMs must be in [0, 10000]"]);
    }
}
