namespace Rlhf.Tokenizers;

/// <summary>
/// A tokenizer, whatever its file format: text to token ids and back. Implementations are immutable and thread-safe
/// (a streaming decoder is not: one per stream). Obtain one with <see cref="TokenizerFiles.Load"/>.
/// </summary>
/// <remarks>
/// Text is always encoded as plain text: the string of a special token inside the text (say
/// <c>"&lt;|im_end|&gt;"</c> or <c>"&lt;s&gt;"</c>) is encoded as ordinary characters, never as the special id, so
/// user content cannot inject control tokens. Prompts that need special tokens are built from segments by
/// <see cref="Chat.ChatPrompt.Encode"/>, which inserts them by id.
/// </remarks>
public interface ITokenizer
{
    /// <summary>Number of token ids V the tokenizer knows (ids are in [0, V)). A model's embedding may have more
    /// rows (padded vocabularies, as Qwen2's); ids past the tokenizer's are never produced.</summary>
    int VocabSize { get; }

    /// <summary>BOS, EOS, pad and unknown ids, and the ids that end generation.</summary>
    SpecialTokenIds SpecialTokens { get; }

    /// <summary>
    /// First 16 lowercase hex characters of the SHA-256 of the tokenizer file(s) (<c>tokenizer.bin</c>,
    /// <c>tokenizer.model</c>, <c>tokenizer.json</c>, or <c>vocab.json</c> followed by <c>merges.txt</c>). Equal
    /// files give equal fingerprints, so services compare it to refuse a model whose tokenizer differs. Config files
    /// (special tokens, chat template) do not enter it.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>Encodes <paramref name="text"/> as plain text (see the remarks on <see cref="ITokenizer"/>).</summary>
    /// <param name="text">Any string; empty gives no text tokens.</param>
    /// <param name="addBos">Prepend <see cref="SpecialTokenIds.Bos"/>; ignored when the tokenizer has no BOS (Qwen2).</param>
    /// <returns>Token ids, shape (T,), each in [0, <see cref="VocabSize"/>).</returns>
    int[] Encode(string text, bool addBos = true);

    /// <summary>
    /// Decodes ids to text. Control tokens (BOS, EOS, pad and the other special tokens) render as nothing; byte
    /// sequences that are not valid UTF-8 become U+FFFD.
    /// </summary>
    /// <param name="ids">Token ids, shape (T,).</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, <see cref="VocabSize"/>) or names no token.</exception>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>
    /// A decoder for token-by-token output: the chunks it returns concatenate to <see cref="Decode"/> of the ids
    /// pushed, and each chunk holds whole characters only.
    /// </summary>
    /// <param name="previousId">The id before the first pushed id (e.g. the last prompt token), so the first chunk
    /// keeps or drops its leading space as it would inside the whole sequence; -1 for none.</param>
    IStreamingDecoder CreateStreamingDecoder(int previousId = -1);

    /// <summary>Looks up the id of the token whose text is exactly <paramref name="token"/> (a vocabulary entry or an
    /// added/special token such as <c>"&lt;|im_start|&gt;"</c>).</summary>
    /// <returns>False when no token has this text.</returns>
    bool TryGetTokenId(string token, out int id);
}
