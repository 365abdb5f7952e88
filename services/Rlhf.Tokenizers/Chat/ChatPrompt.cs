namespace Rlhf.Tokenizers.Chat;

/// <summary>What a piece of a chat prompt is.</summary>
public enum ChatSegmentKind
{
    /// <summary>Plain text, encoded with <see cref="ITokenizer.Encode"/> (no BOS).</summary>
    Text,

    /// <summary>The tokenizer's BOS id.</summary>
    Bos,

    /// <summary>The tokenizer's EOS id.</summary>
    Eos,

    /// <summary>A special token named by its text (<c>&lt;|im_start|&gt;</c>), looked up with <see cref="ITokenizer.TryGetTokenId"/>.</summary>
    SpecialToken,
}

/// <summary>One piece of a chat prompt: plain text, or a special token inserted by id.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Text">The text for <see cref="ChatSegmentKind.Text"/> and <see cref="ChatSegmentKind.SpecialToken"/>;
/// the token's string for BOS and EOS.</param>
public readonly record struct ChatSegment(ChatSegmentKind Kind, string Text);

/// <summary>
/// A conversation rendered by a <see cref="ChatFormat"/>: segments of plain text and special tokens. Keeping them
/// apart is what makes the prompt safe to encode: user text is always plain text (see <see cref="ITokenizer"/>), and
/// control tokens enter only from the format.
/// </summary>
public sealed class ChatPrompt
{
    /// <summary>Creates a prompt from its segments.</summary>
    public ChatPrompt(IReadOnlyList<ChatSegment> segments) => Segments = segments;

    /// <summary>The segments in order.</summary>
    public IReadOnlyList<ChatSegment> Segments { get; }

    /// <summary>The prompt as one string, as the checkpoint's template renders it (special tokens as their text).</summary>
    public string Text => string.Concat(Segments.Select(s => s.Text));

    /// <summary>
    /// Encodes the prompt: each text segment with <see cref="ITokenizer.Encode"/> (no BOS; a SentencePiece tokenizer
    /// adds its dummy-prefix space to each, as Meta's Llama 2 chat code encodes each turn), special tokens by id.
    /// </summary>
    /// <returns>Token ids, shape (T,).</returns>
    /// <exception cref="InvalidOperationException">The tokenizer lacks a token the format needs (BOS, EOS, or a named
    /// special token); the message names it.</exception>
    public int[] Encode(ITokenizer tokenizer)
    {
        var ids = new List<int>();
        foreach (var segment in Segments)
        {
            switch (segment.Kind)
            {
                case ChatSegmentKind.Text:
                    ids.AddRange(tokenizer.Encode(segment.Text, addBos: false));
                    break;
                case ChatSegmentKind.Bos:
                    ids.Add(tokenizer.SpecialTokens.Bos ?? throw new InvalidOperationException("the chat format needs a BOS token and the tokenizer has none"));
                    break;
                case ChatSegmentKind.Eos:
                    ids.Add(tokenizer.SpecialTokens.Eos ?? throw new InvalidOperationException("the chat format needs an EOS token and the tokenizer has none"));
                    break;
                case ChatSegmentKind.SpecialToken:
                    ids.Add(tokenizer.TryGetTokenId(segment.Text, out var id) ? id
                        : throw new InvalidOperationException($"the chat format needs the token \"{segment.Text}\" and the tokenizer has no such token"));
                    break;
            }
        }
        return [.. ids];
    }
}
