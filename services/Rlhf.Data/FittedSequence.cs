namespace Rlhf.Data;

/// <summary>A prompt + response token sequence cut to fit a length budget.</summary>
/// <param name="Ids">prompt_ids ++ response_ids after truncation, length ≤ the budget.</param>
/// <param name="PromptLength">How many leading entries of <see cref="Ids"/> are prompt tokens.</param>
/// <param name="DroppedPromptTokens">Prompt tokens removed.</param>
/// <param name="DroppedResponseTokens">Response tokens removed (only when the response alone exceeds the budget).</param>
public sealed record FittedSequence(int[] Ids, int PromptLength, int DroppedPromptTokens, int DroppedResponseTokens);
