namespace Rlhf.Models;

/// <summary>
/// One sequence of a batch: <c>PromptIds ++ ResponseIds</c>. Every per-token output (<see cref="ForwardResult"/>) and
/// every per-token gradient (<see cref="OutputGradients"/>) has one entry per response token.
/// </summary>
/// <param name="PromptIds">Prompt token ids, at least one (BOS).</param>
/// <param name="ResponseIds">Response token ids (may be empty: then only <see cref="ForwardResult.LastScalar"/> is meaningful).</param>
public sealed record TokenSequence(int[] PromptIds, int[] ResponseIds)
{
    /// <summary>Total length P + R.</summary>
    public int Length => PromptIds.Length + ResponseIds.Length;
}
