using Rlhf.Models;
using Rlhf.Data;
using Rlhf.Engine;
using Rlhf.Tokenizers;

namespace Rlhf.RewardModels;

/// <summary>
/// Turns text into the reward model's input sequences, <c>prompt_ids ++ response_ids</c> of at most
/// <see cref="MaxSeqLen"/> tokens, the score being read at the last token:
/// <list type="bullet">
/// <item>the prompt is encoded with BOS, each response without BOS (llama2.c encoding, dummy-prefix space included);</item>
/// <item>too long inputs keep BOS, the whole response and the END of the prompt; a response longer than the budget
/// alone keeps its end (<see cref="SequenceFitting.FitPromptAndResponse"/>);</item>
/// <item>an empty prompt gives <c>BOS ++ response</c> (labelled sentences such as SST-2).</item>
/// </list>
/// Very long texts are cut to their last <c>8 · MaxSeqLen</c> characters before encoding, because a token covers at most
/// 7 bytes: the tokens of the kept tail are the same as those of the full text, and the BPE merge loop stays short.
/// </summary>
public sealed class RewardSequenceBuilder
{
    private readonly Llama2Tokenizer _tokenizer;

    /// <summary>Creates a builder.</summary>
    /// <param name="tokenizer">The reward model's tokenizer.</param>
    /// <param name="maxSeqLen">Token budget of prompt + response, ≥ 2.</param>
    public RewardSequenceBuilder(Llama2Tokenizer tokenizer, int maxSeqLen)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqLen, 2);
        _tokenizer = tokenizer;
        MaxSeqLen = maxSeqLen;
    }

    /// <summary>The token budget.</summary>
    public int MaxSeqLen { get; }

    /// <summary>The sequence of one prompt and response.</summary>
    public TokenSequence Build(string prompt, string response)
    {
        var promptIds = Encode(prompt, bos: true);
        var responseIds = Encode(response, bos: false);
        return Fit(promptIds, responseIds);
    }

    /// <summary>A stand-alone sentence: <c>BOS ++ sentence tokens</c> (the prompt is empty).</summary>
    public TokenSequence Sentence(string text) => Build("", text);

    /// <summary>Both sequences of a text preference pair (the prompt is encoded once).</summary>
    public SequencePair Pair(PreferencePair pair, double extraMargin = 0)
    {
        ArgumentNullException.ThrowIfNull(pair);
        var promptIds = Encode(pair.Prompt, bos: true);
        return new SequencePair(
            Fit(promptIds, Encode(pair.Chosen, bos: false)),
            Fit(promptIds, Encode(pair.Rejected, bos: false)),
            pair.Margin + extraMargin);
    }

    /// <summary>The K sequences of a ranking, best first.</summary>
    public TokenSequence[] Ranking(Ranking ranking)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        var promptIds = Encode(ranking.Prompt, bos: true);
        return [.. ranking.ResponsesBestFirst.Select(r => Fit(promptIds, Encode(r, bos: false)))];
    }

    private int[] Encode(string text, bool bos)
    {
        var limit = 8 * MaxSeqLen;
        if (text.Length > limit)
            text = text[^limit..];
        return _tokenizer.Encode(text, bos);
    }

    private TokenSequence Fit(int[] promptIds, int[] responseIds)
    {
        var fitted = SequenceFitting.FitPromptAndResponse(promptIds, responseIds, MaxSeqLen, keepPrefix: 1);
        var promptLength = Math.Max(1, fitted.PromptLength); // the engine needs at least one prompt token
        return new TokenSequence(fitted.Ids[..promptLength], fitted.Ids[promptLength..]);
    }
}
