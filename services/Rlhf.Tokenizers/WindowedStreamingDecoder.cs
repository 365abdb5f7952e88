namespace Rlhf.Tokenizers;

/// <summary>
/// Streaming decode for any <see cref="ITokenizer"/> through its whole-sequence <see cref="ITokenizer.Decode"/>, as
/// Hugging Face text-generation-inference does: decode a short window of ids twice, without and with the new ones,
/// and emit the difference once it no longer ends in U+FFFD (an incomplete UTF-8 character). The window starts at
/// the last emitted token, so a tokenizer's context rules (SentencePiece dropping the first piece's leading space,
/// byte-level BPE joining bytes) apply inside it as in the whole sequence. Cost per token: two decodes of a window
/// of a few tokens.
/// </summary>
internal sealed class WindowedStreamingDecoder : IStreamingDecoder
{
    private readonly ITokenizer _tokenizer;
    private readonly List<int> _ids = [];
    private int _readOffset; // ids before it were emitted; the window is _ids[0..]

    public WindowedStreamingDecoder(ITokenizer tokenizer, int previousId)
    {
        _tokenizer = tokenizer;
        if (previousId >= 0)
        {
            _tokenizer.Decode([previousId]); // validates the id
            _ids.Add(previousId);
            _readOffset = 1;
        }
    }

    public string Push(int id)
    {
        _tokenizer.Decode([id]); // validates the id before the state changes
        _ids.Add(id);
        var ids = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        var prefix = _tokenizer.Decode(ids[.._readOffset]);
        var text = _tokenizer.Decode(ids);
        if (text.Length <= prefix.Length || text[^1] == '\uFFFD')
            return "";
        // the window restarts at the first unemitted token, keeping the last emitted one as context
        _ids.RemoveRange(0, _readOffset);
        _readOffset = _ids.Count;
        return text[prefix.Length..];
    }

    public string Flush()
    {
        var ids = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        var prefix = _tokenizer.Decode(ids[.._readOffset]);
        var text = _tokenizer.Decode(ids);
        _ids.RemoveRange(0, _readOffset);
        _readOffset = _ids.Count;
        return text.Length > prefix.Length ? text[prefix.Length..] : "";
    }
}
