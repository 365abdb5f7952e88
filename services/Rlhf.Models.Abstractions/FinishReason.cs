namespace Rlhf.Models;

/// <summary>Why a generated response ended.</summary>
public enum FinishReason
{
    /// <summary>A stop token (EOS) was sampled; it is the last response token.</summary>
    Stop = 1,

    /// <summary>MaxNewTokens (or the model's MaxSeqLen) was reached.</summary>
    Length = 2,
}
