using Ml = Microsoft.ML.Tokenizers;

namespace Rlhf.Tokenizers;

/// <summary>
/// A SentencePiece <c>tokenizer.model</c> (Kudo and Richardson 2018), as shipped by Llama 2, TinyLlama and Karpathy's
/// stories15M/42M/110M: BPE over pieces with <c>▁</c> for spaces, a dummy-prefix space, and byte fallback
/// (<c>&lt;0xNN&gt;</c>) for characters that have no piece. Encoding and decoding are Microsoft.ML.Tokenizers'
/// <see cref="Ml.SentencePieceTokenizer"/>; the tests hold them to Debian's python3-sentencepiece id for id on
/// TinyStories and HH-RLHF text.
/// </summary>
/// <remarks>
/// Special tokens default to the model's own (Llama 2: unknown 0, BOS 1, EOS 2, no pad) and are overridden by the
/// checkpoint's config files. Added tokens of <c>tokenizer_config.json</c> past the model's pieces (a fine-tune's
/// <c>&lt;pad&gt;</c>) extend <see cref="VocabSize"/> and decode to nothing. One difference from sentencepiece: an
/// <c>&lt;unk&gt;</c> id decodes to nothing, where sentencepiece prints <c>" ⁇ "</c>; encoding with byte fallback
/// never produces it.
/// </remarks>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly Ml.SentencePieceTokenizer _spm;
    private readonly int _pieceCount;
    private readonly IReadOnlyDictionary<string, int> _addedTokens; // content → id, for ids past the pieces

    private SentencePieceTokenizer(Ml.SentencePieceTokenizer spm, CheckpointConfig config, string fingerprint)
    {
        _spm = spm;
        _pieceCount = spm.Vocabulary.Count;
        _addedTokens = config.AddedTokens.Where(t => t.Key >= _pieceCount).ToDictionary(t => t.Value.Content, t => t.Key);
        VocabSize = Math.Max(_pieceCount, config.AddedTokens.Keys.DefaultIfEmpty(-1).Max() + 1);
        Fingerprint = fingerprint;
        var defaults = new SpecialTokenIds(
            spm.BeginningOfSentenceId >= 0 ? spm.BeginningOfSentenceId : null,
            spm.EndOfSentenceId >= 0 ? spm.EndOfSentenceId : null,
            Pad: null,
            Unknown: spm.UnknownId >= 0 ? spm.UnknownId : null);
        SpecialTokens = config.Resolve(defaults, t => TryGetTokenId(t, out var id) ? id : null, VocabSize);
    }

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public SpecialTokenIds SpecialTokens { get; }

    /// <summary>Fingerprint of the <c>tokenizer.model</c> file.</summary>
    public string Fingerprint { get; }

    /// <summary>Loads a <c>tokenizer.model</c>; special tokens from <paramref name="config"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model protobuf.</exception>
    internal static SentencePieceTokenizer Load(string path, CheckpointConfig config)
    {
        var bytes = File.ReadAllBytes(path);
        Ml.SentencePieceTokenizer spm;
        try
        {
            spm = Ml.SentencePieceTokenizer.Create(new MemoryStream(bytes), addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a SentencePiece model ({e.GetType().Name}: {e.Message})", e);
        }
        return new SentencePieceTokenizer(spm, config, FileFingerprint.Of(bytes));
    }

    /// <inheritdoc />
    public int[] Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        return addBos && SpecialTokens.Bos is { } bos ? [bos, .. ids] : [.. ids];
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var pieces = new List<int>(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside [0, {VocabSize})");
            if (id < _pieceCount)
                pieces.Add(id);
        }
        return _spm.Decode(pieces, considerSpecialTokens: false);
    }

    /// <inheritdoc />
    public IStreamingDecoder CreateStreamingDecoder(int previousId = -1) => new WindowedStreamingDecoder(this, previousId);

    /// <summary>Looks up a piece as written in the model (<c>"▁the"</c>, <c>"&lt;0x0A&gt;"</c>, <c>"&lt;s&gt;"</c>) or an added token.</summary>
    public bool TryGetTokenId(string token, out int id) =>
        _spm.Vocabulary.TryGetValue(token, out id) || _addedTokens.TryGetValue(token, out id);
}
