using System.Text;
using Ml = Microsoft.ML.Tokenizers;

namespace Rlhf.Tokenizers;

/// <summary>
/// A SentencePiece <c>tokenizer.model</c> (Kudo and Richardson 2018), as shipped by Llama 2, TinyLlama and Karpathy's
/// stories15M/42M/110M: BPE over pieces with <c>▁</c> for spaces, a dummy-prefix space, and byte fallback
/// (<c>&lt;0xNN&gt;</c>) for characters that have no piece. The tests hold it to Debian's python3-sentencepiece id
/// for id on TinyStories and HH-RLHF text.
/// </summary>
/// <remarks>
/// <para>Microsoft.ML.Tokenizers' <see cref="Ml.SentencePieceTokenizer"/> loads the model and normalizes the text
/// (dummy prefix, <c>▁</c> for spaces). Two parts are ours, because the library's 3.0.0 differs from sentencepiece:
/// the BPE merges (<see cref="ScoredBpeMerger"/>, shared with <see cref="Llama2Tokenizer"/>; the library breaks ties
/// between equal-scoring pairs from the right, where sentencepiece takes the leftmost, so it splits "▁Hmmm" as
/// ▁H|m|mm instead of ▁Hmm|m, in 1 of the 2,313 reference texts), and decoding (the library drops the space of
/// <c>▁An</c> after a leading byte token, and renders <c>&lt;unk&gt;</c> as nothing). Models with user-defined or
/// unused pieces, which sentencepiece treats specially, are refused; unigram models are encoded by the library (not
/// checked against sentencepiece here).</para>
/// <para>Special tokens default to the model's own (Llama 2: unknown 0, BOS 1, EOS 2, no pad) and are overridden by
/// the checkpoint's config files. Added tokens of <c>tokenizer_config.json</c> past the model's pieces (a fine-tune's
/// <c>&lt;pad&gt;</c>) extend <see cref="VocabSize"/> and decode to nothing.</para>
/// </remarks>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly Ml.SentencePieceTokenizer _spm;
    private readonly int _pieceCount;
    private readonly IReadOnlyDictionary<string, int> _addedTokens; // content → id, for ids past the pieces
    private readonly BpeEncoder? _bpe; // null for unigram models
    private readonly byte[][] _tokenBytes; // per id: the piece's UTF-8 with ▁ as space, the raw byte of <0xNN>, " ⁇ " for unknown
    private readonly TokenKind[] _kinds;
    private readonly bool _stripDummyPrefix;

    private SentencePieceTokenizer(Ml.SentencePieceTokenizer spm, SentencePieceModelFile model, BpeEncoder? bpe, CheckpointConfig config, string fingerprint)
    {
        _spm = spm;
        _bpe = bpe;
        _pieceCount = spm.Vocabulary.Count;
        _stripDummyPrefix = spm.AddDummyPrefix && !spm.TreatWhitespaceAsSuffix;
        _addedTokens = config.AddedTokens.Where(t => t.Key >= _pieceCount).ToDictionary(t => t.Value.Content, t => t.Key);
        VocabSize = Math.Max(_pieceCount, config.AddedTokens.Keys.DefaultIfEmpty(-1).Max() + 1);
        Fingerprint = fingerprint;
        _tokenBytes = new byte[VocabSize][];
        _kinds = new TokenKind[VocabSize]; // ids past the pieces stay Control
        for (var id = 0; id < model.Pieces.Length && id < VocabSize; id++)
        {
            (_tokenBytes[id], _kinds[id]) = model.Types[id] switch
            {
                PieceType.Normal or PieceType.UserDefined => (Encoding.UTF8.GetBytes(model.Pieces[id].Replace('\u2581', ' ')), TokenKind.Piece),
                PieceType.Byte when TryParseByte(model.Pieces[id], out var b) => ([b], TokenKind.Other),
                PieceType.Unknown => (Encoding.UTF8.GetBytes(" \u2047 "), TokenKind.Other),
                _ => ([], TokenKind.Control),
            };
        }
        for (var id = model.Pieces.Length; id < VocabSize; id++)
            _tokenBytes[id] = [];
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
    /// <exception cref="NotSupportedException">A BPE model with user-defined or unused pieces.</exception>
    internal static SentencePieceTokenizer Load(string path, CheckpointConfig config)
    {
        var bytes = File.ReadAllBytes(path);
        Ml.SentencePieceTokenizer spm;
        SentencePieceModelFile model;
        try
        {
            model = SentencePieceModelFile.Parse(bytes);
            spm = Ml.SentencePieceTokenizer.Create(new MemoryStream(bytes), addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a SentencePiece model ({e.GetType().Name}: {e.Message})", e);
        }
        BpeEncoder? bpe = null;
        if (model.ModelType == SentencePieceModelFile.Bpe)
        {
            var special = model.Types.Count(t => t is PieceType.UserDefined or PieceType.Unused);
            if (special > 0)
                throw new NotSupportedException($"{path}: the BPE model has {special} user-defined or unused pieces, which are not supported");
            bpe = new BpeEncoder(model, spm.ByteFallback, spm.UnknownId);
        }
        return new SentencePieceTokenizer(spm, model, bpe, config, FileFingerprint.Of(bytes));
    }

    /// <inheritdoc />
    public int[] Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids;
        if (_bpe is null)
            ids = [.. _spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false)];
        else
            ids = text.Length == 0 ? [] : _bpe.Encode(_spm.Normalizer is { } normalizer ? normalizer.Normalize(text) : text);
        return addBos && SpecialTokens.Bos is { } bos ? [bos, .. ids] : ids;
    }

    /// <inheritdoc />
    /// <remarks>As sentencepiece's decoder: control tokens render as nothing, <c>&lt;unk&gt;</c> as <c>" ⁇ "</c>, byte
    /// pieces as their byte, and the first piece drops its dummy-prefix space (only when it is the first token after
    /// control tokens: <c>[&lt;0x0A&gt;, ▁An]</c> keeps it). Invalid UTF-8 becomes U+FFFD per maximal subpart, where
    /// sentencepiece writes one per byte.</remarks>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        var atStart = true;
        foreach (var id in ids)
            bytes.AddRange(TokenBytes(id, ref atStart));
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <inheritdoc />
    public IStreamingDecoder CreateStreamingDecoder(int previousId = -1)
    {
        var atStart = true;
        if (previousId >= 0)
            TokenBytes(previousId, ref atStart);
        return new StreamingTextDecoder(id => TokenBytes(id, ref atStart));
    }

    /// <summary>The bytes <paramref name="id"/> renders as; <paramref name="atStart"/> is true until the first
    /// non-control token.</summary>
    private byte[] TokenBytes(int id, ref bool atStart)
    {
        if ((uint)id >= (uint)VocabSize)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside [0, {VocabSize})");
        var kind = _kinds[id];
        if (kind == TokenKind.Control)
            return [];
        var bytes = _tokenBytes[id];
        var strip = atStart && _stripDummyPrefix && kind == TokenKind.Piece && bytes is [(byte)' ', ..];
        atStart = false;
        return strip ? bytes[1..] : bytes;
    }

    private static bool TryParseByte(string piece, out byte value)
    {
        value = 0;
        return piece is ['<', '0', 'x', _, _, '>']
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    private enum TokenKind : byte
    {
        Control, // BOS, EOS, pad, added tokens past the pieces: nothing
        Piece,   // a normal piece: its text, ▁ as space
        Other,   // a byte piece or <unk>
    }

    /// <summary>Looks up a piece as written in the model (<c>"▁the"</c>, <c>"&lt;0x0A&gt;"</c>, <c>"&lt;s&gt;"</c>) or an added token.</summary>
    public bool TryGetTokenId(string token, out int id) =>
        _spm.Vocabulary.TryGetValue(token, out id) || _addedTokens.TryGetValue(token, out id);

    /// <summary>
    /// SentencePiece's BPE encoding of normalized text: one symbol per code point (its piece, or the byte pieces of
    /// its UTF-8 when it has none and the model falls back to bytes, else unknown), then score-ordered merges into
    /// normal pieces only (control, byte and unknown pieces never form), as sentencepiece's bpe_model.cc does.
    /// </summary>
    private sealed class BpeEncoder
    {
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _normal;
        private readonly ScoredBpeMerger _merger;
        private readonly int[] _byteIds; // byte → id of its <0xNN> piece, or -1
        private readonly int _unknownId;

        public BpeEncoder(SentencePieceModelFile model, bool byteFallback, int unknownId)
        {
            var all = new Dictionary<string, int>(model.Pieces.Length, StringComparer.Ordinal);
            var normal = new Dictionary<string, int>(StringComparer.Ordinal);
            _byteIds = new int[256];
            Array.Fill(_byteIds, -1);
            for (var id = 0; id < model.Pieces.Length; id++)
            {
                all.TryAdd(model.Pieces[id], id);
                if (model.Types[id] == PieceType.Normal)
                    normal.TryAdd(model.Pieces[id], id);
                else if (byteFallback && model.Types[id] == PieceType.Byte && TryParseByte(model.Pieces[id], out var b))
                    _byteIds[b] = id;
            }
            _normal = normal.GetAlternateLookup<ReadOnlySpan<char>>();
            _merger = new ScoredBpeMerger(model.Pieces, model.Scores, all.GetAlternateLookup<ReadOnlySpan<char>>(),
                id => model.Types[id] == PieceType.Normal);
            _unknownId = unknownId;
        }

        public int[] Encode(string normalized)
        {
            var ids = new List<int>(normalized.Length);
            Span<byte> utf8 = stackalloc byte[4];
            for (var i = 0; i < normalized.Length;)
            {
                var length = char.IsHighSurrogate(normalized[i]) && i + 1 < normalized.Length && char.IsLowSurrogate(normalized[i + 1]) ? 2 : 1;
                var symbol = normalized.AsSpan(i, length);
                if (_normal.TryGetValue(symbol, out var id))
                {
                    ids.Add(id);
                }
                else
                {
                    var count = Encoding.UTF8.GetBytes(symbol, utf8);
                    if (utf8[..count].ToArray().All(b => _byteIds[b] >= 0))
                    {
                        foreach (var b in utf8[..count])
                            ids.Add(_byteIds[b]);
                    }
                    else
                    {
                        ids.Add(_unknownId);
                    }
                }
                i += length;
            }
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids);
            return span[.._merger.Merge(span)].ToArray();
        }
    }
}
