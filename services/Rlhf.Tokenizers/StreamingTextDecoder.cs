using System.Text;

namespace Rlhf.Tokenizers;

/// <summary>
/// Decodes a stream of token ids into text as they arrive (e.g. for streamed generation). Byte-fallback tokens can
/// split one UTF-8 character across several ids; the bytes of an incomplete character are held back until it
/// completes, so every returned chunk is whole characters and the concatenation of all chunks equals
/// <see cref="Llama2Tokenizer.Decode"/> of the whole sequence. Not thread-safe: one instance per stream.
/// </summary>
/// <remarks>Also the streaming decoder of <see cref="SentencePieceTokenizer"/>, over its token bytes.</remarks>
public sealed class StreamingTextDecoder : IStreamingDecoder
{
    private readonly Func<int, byte[]> _tokenBytes; // bytes of the next token; validates it and advances the context
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();

    /// <summary>Creates a decoder.</summary>
    /// <param name="tokenizer">The vocabulary.</param>
    /// <param name="previousId">The id before the first pushed id (e.g. the last prompt token, or BOS), so the leading
    /// space after BOS is stripped as <see cref="Llama2Tokenizer.DecodePiece"/> does; -1 for none.</param>
    public StreamingTextDecoder(Llama2Tokenizer tokenizer, int previousId = -1)
        : this(id =>
        {
            var bytes = id is Llama2Tokenizer.BosId or Llama2Tokenizer.EosId ? [] : tokenizer.DecodePiece(previousId, id);
            tokenizer.Piece(id); // validates the id for BOS/EOS too
            previousId = id;
            return bytes;
        })
    {
    }

    /// <summary>A decoder over <paramref name="tokenBytes"/>, which returns the bytes of each pushed token in turn.</summary>
    internal StreamingTextDecoder(Func<int, byte[]> tokenBytes) => _tokenBytes = tokenBytes;

    /// <summary>Adds one token.</summary>
    /// <returns>The text completed by this token; empty when it only extended an incomplete character or is BOS/EOS.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string Push(int id) => Convert(_tokenBytes(id), flush: false);

    /// <summary>Ends the stream: the bytes of a character left incomplete become U+FFFD.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(byte[] bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush) + 2];
        var count = _utf8.GetChars(bytes, 0, bytes.Length, chars, 0, flush);
        return new string(chars, 0, count);
    }
}
