namespace Rlhf.Tokenizers;

/// <summary>
/// Turns token ids into text as they arrive (streamed generation). Characters split across tokens (byte fallback,
/// byte-level BPE) are held back until complete. Not thread-safe: one instance per stream, from
/// <see cref="ITokenizer.CreateStreamingDecoder"/>.
/// </summary>
public interface IStreamingDecoder
{
    /// <summary>Adds one token.</summary>
    /// <returns>The text this token completes; empty when it only started a character or is a control token.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    string Push(int id);

    /// <summary>Ends the stream: the bytes of a character left incomplete become U+FFFD.</summary>
    string Flush();
}
