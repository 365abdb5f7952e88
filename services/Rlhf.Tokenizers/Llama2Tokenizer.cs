using System.Text;

namespace Rlhf.Tokenizers;

/// <summary>
/// The byte-level BPE tokenizer of llama2.c (Karpathy, <c>run.c</c> <c>encode</c>/<c>decode</c>), loaded from its
/// <c>tokenizer.bin</c>: int32 <c>max_token_length</c>, then for each id in order a float32 merge score, an int32 byte
/// length and the piece's bytes (all little-endian). Ids 0, 1, 2 are <c>&lt;unk&gt;</c>, BOS and EOS; pieces
/// <c>&lt;0xNN&gt;</c> are byte-fallback tokens with id NN + 3.
/// </summary>
/// <remarks>
/// Encoding prepends the dummy-prefix piece <c>" "</c> when the text is non-empty, maps each UTF-8 code point to its
/// piece (or its bytes to byte tokens when the code point has no piece), then repeatedly merges the adjacent pair whose
/// concatenation is a piece with the highest score (the leftmost pair on ties) until no pair merges
/// (<see cref="ScoredBpeMerger"/>: a precomputed table from id pairs to ids applied through a heap, so encoding takes
/// O(n log n) in the text length instead of run.c's O(n²) with a string lookup per candidate pair). The type is
/// immutable and thread-safe.
/// As an <see cref="ITokenizer"/> its special tokens are fixed (BOS 1, EOS 2, unknown 0, no pad): the format has no
/// config files.
/// </remarks>
public sealed class Llama2Tokenizer : ITokenizer
{
    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public const int UnknownId = 0;

    /// <summary>Id of the beginning-of-sequence token.</summary>
    public const int BosId = 1;

    /// <summary>Id of the end-of-sequence token.</summary>
    public const int EosId = 2;

    /// <summary>Offset of the byte-fallback tokens: byte b has id b + 3.</summary>
    public const int ByteTokenOffset = 3;

    private readonly byte[][] _pieces;
    private readonly string[] _pieceKeys; // the piece's bytes, one char (0..255) per byte
    private readonly float[] _scores;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _spaceId;
    private readonly ScoredBpeMerger _merger;
    private readonly int[] _singleByte; // byte → id of the one-byte piece, or -1

    private Llama2Tokenizer(byte[][] pieces, float[] scores, int maxTokenLength, string fingerprint)
    {
        _pieces = pieces;
        _scores = scores;
        MaxTokenLength = maxTokenLength;
        Fingerprint = fingerprint;
        _pieceKeys = new string[pieces.Length];
        var ids = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (var id = 0; id < pieces.Length; id++)
        {
            _pieceKeys[id] = Latin1(pieces[id]);
            ids.TryAdd(_pieceKeys[id], id); // first id wins for duplicate pieces
        }
        _lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _spaceId = _lookup.TryGetValue(" ", out var space) ? space : -1;
        _singleByte = new int[256];
        for (var b = 0; b < 256; b++)
            _singleByte[b] = ids.TryGetValue(((char)b).ToString(), out var single) ? single : -1;
        _merger = new ScoredBpeMerger(_pieceKeys, scores, _lookup, mergeable: null);
    }

    /// <summary>Number of tokens V.</summary>
    public int VocabSize => _pieces.Length;

    /// <summary>BOS 1, EOS 2, unknown 0, no pad.</summary>
    public SpecialTokenIds SpecialTokens { get; } = new(BosId, EosId, Pad: null, Unknown: UnknownId);

    /// <summary>Longest piece in bytes, as recorded in the file header.</summary>
    public int MaxTokenLength { get; }

    /// <summary>First 16 lowercase hex characters of the SHA-256 of the file bytes; equal files give equal fingerprints.</summary>
    public string Fingerprint { get; }

    /// <summary>Reads a llama2.c <c>tokenizer.bin</c>.</summary>
    /// <param name="path">File path.</param>
    /// <param name="vocabSize">Expected number of tokens (the model's V); null reads pieces until the end of the file.</param>
    /// <exception cref="InvalidDataException">The file is truncated, has a negative or over-long piece length, holds
    /// fewer than 3 tokens, or does not hold <paramref name="vocabSize"/> tokens.</exception>
    public static Llama2Tokenizer Load(string path, int? vocabSize = null)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return FromBytes(bytes, vocabSize);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the bytes of a llama2.c <c>tokenizer.bin</c>; see <see cref="Load"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a valid tokenizer file.</exception>
    public static Llama2Tokenizer FromBytes(ReadOnlySpan<byte> data, int? vocabSize = null)
    {
        if (data.Length < 4)
            throw new InvalidDataException($"tokenizer file of {data.Length} bytes has no header (4 bytes expected)");
        var maxTokenLength = BitConverter.ToInt32(data[..4]);
        if (maxTokenLength <= 0 || maxTokenLength > 1 << 16)
            throw new InvalidDataException($"tokenizer max_token_length {maxTokenLength} is out of range [1, 65536]");
        var pieces = new List<byte[]>();
        var scores = new List<float>();
        var offset = 4;
        while (offset < data.Length && (vocabSize is null || pieces.Count < vocabSize))
        {
            var id = pieces.Count;
            if (data.Length - offset < 8)
                throw new InvalidDataException($"tokenizer truncated in the header of token {id}: 8 bytes expected at offset {offset}, {data.Length - offset} found");
            var score = BitConverter.ToSingle(data.Slice(offset, 4));
            var length = BitConverter.ToInt32(data.Slice(offset + 4, 4));
            offset += 8;
            if (length < 0 || length > maxTokenLength)
                throw new InvalidDataException($"token {id} has length {length}, outside [0, max_token_length = {maxTokenLength}]");
            if (data.Length - offset < length)
                throw new InvalidDataException($"tokenizer truncated in token {id}: {length} bytes expected at offset {offset}, {data.Length - offset} found");
            pieces.Add(data.Slice(offset, length).ToArray());
            scores.Add(score);
            offset += length;
        }
        if (vocabSize is { } v && pieces.Count != v)
            throw new InvalidDataException($"tokenizer holds {pieces.Count} tokens, the model expects {v}");
        if (vocabSize is not null && offset != data.Length)
            throw new InvalidDataException($"tokenizer has {data.Length - offset} trailing bytes after {pieces.Count} tokens");
        if (pieces.Count < 3)
            throw new InvalidDataException($"tokenizer holds {pieces.Count} tokens, at least 3 (<unk>, BOS, EOS) expected");
        return new Llama2Tokenizer([.. pieces], [.. scores], maxTokenLength, FileFingerprint.Of(data));
    }

    /// <summary>The bytes of token <paramref name="id"/> as stored in the file.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in [0, V).</exception>
    public ReadOnlySpan<byte> Piece(int id) => _pieces[CheckId(id)];

    /// <summary>The merge score of token <paramref name="id"/> (higher merges first).</summary>
    public float Score(int id) => _scores[CheckId(id)];

    /// <summary>Looks a piece up by its bytes.</summary>
    /// <returns>The id, or -1 when no token has exactly these bytes.</returns>
    public int PieceToId(ReadOnlySpan<byte> piece)
    {
        Span<char> key = piece.Length <= 256 ? stackalloc char[piece.Length] : new char[piece.Length];
        for (var i = 0; i < piece.Length; i++)
            key[i] = (char)piece[i];
        return _lookup.TryGetValue(key, out var id) ? id : -1;
    }

    /// <inheritdoc />
    int[] ITokenizer.Encode(string text, bool addBos) => Encode(text, addBos, eos: false);

    /// <summary>Encodes text as llama2.c <c>encode</c> does.</summary>
    /// <param name="text">Text; encoded as UTF-8.</param>
    /// <param name="bos">Prepend BOS (id 1).</param>
    /// <param name="eos">Append EOS (id 2).</param>
    /// <returns>Token ids.</returns>
    public int[] Encode(string text, bool bos = true, bool eos = false) => Encode(Encoding.UTF8.GetBytes(text), bos, eos);

    /// <summary>Encodes UTF-8 bytes as llama2.c <c>encode</c> does; see <see cref="Encode(string, bool, bool)"/>.</summary>
    /// <exception cref="InvalidOperationException">The text is non-empty and the vocabulary has no <c>" "</c> piece for the dummy prefix.</exception>
    public int[] Encode(ReadOnlySpan<byte> utf8, bool bos = true, bool eos = false)
    {
        // Every byte yields at most one token, plus BOS, EOS and the dummy prefix.
        var tokens = new int[utf8.Length + 3];
        var n = 0;
        if (bos)
            tokens[n++] = BosId;
        if (utf8.Length > 0)
        {
            if (_spaceId < 0)
                throw new InvalidOperationException("the vocabulary has no \" \" piece for the dummy prefix");
            tokens[n++] = _spaceId;
        }

        // 1. one token per UTF-8 code point, or its bytes as byte tokens
        Span<char> key = stackalloc char[4];
        for (var i = 0; i < utf8.Length;)
        {
            var length = 1;
            while (length < 4 && i + length < utf8.Length && (utf8[i + length] & 0xC0) == 0x80)
                length++;
            for (var k = 0; k < length; k++)
                key[k] = (char)utf8[i + k];
            if (length == 1 && _singleByte[utf8[i]] >= 0)
            {
                tokens[n++] = _singleByte[utf8[i]];
            }
            else if (_lookup.TryGetValue(key[..length], out var id))
            {
                tokens[n++] = id;
            }
            else
            {
                for (var k = 0; k < length; k++)
                    tokens[n++] = utf8[i + k] + ByteTokenOffset;
            }
            i += length;
        }

        // 2. greedy merges: the best-scoring adjacent pair first, leftmost on ties (BOS takes part, as in run.c)
        var count = n > 1 ? _merger.Merge(tokens.AsSpan(0, n)) : n;
        n = count;
        if (eos)
            tokens[n++] = EosId;
        return tokens[..n];
    }

    /// <summary>
    /// The bytes that llama2.c <c>decode(prev, id)</c> prints for <paramref name="id"/>: the piece, without its leading
    /// space when <paramref name="previousId"/> is BOS, and the raw byte for a <c>&lt;0xNN&gt;</c> piece.
    /// </summary>
    /// <param name="previousId">The id before <paramref name="id"/> in the sequence (or -1 at the start).</param>
    /// <param name="id">The token to render.</param>
    public byte[] DecodePiece(int previousId, int id)
    {
        ReadOnlySpan<byte> piece = _pieces[CheckId(id)];
        if (previousId == BosId && piece.Length > 0 && piece[0] == (byte)' ')
            piece = piece[1..];
        if (TryParseByteToken(piece, out var value))
            return [value];
        return piece.ToArray();
    }

    /// <summary>
    /// Concatenates <see cref="DecodePiece"/> over <paramref name="ids"/>. BOS and EOS render as nothing (they still
    /// strip the leading space of the piece after BOS), so <c>DecodeBytes(Encode(text, bos: true))</c> is the text's UTF-8.
    /// </summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var output = new List<byte>(ids.Length * 4);
        var previous = -1;
        foreach (var id in ids)
        {
            if (id is not BosId and not EosId)
                output.AddRange(DecodePiece(previous, id));
            else
                CheckId(id);
            previous = id;
        }
        return [.. output];
    }

    /// <summary><see cref="DecodeBytes"/> as a string; invalid UTF-8 becomes U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in [0, V).</exception>
    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));

    /// <summary>A <see cref="StreamingTextDecoder"/> over this vocabulary.</summary>
    public IStreamingDecoder CreateStreamingDecoder(int previousId = -1) => new StreamingTextDecoder(this, previousId);

    /// <summary>Looks a piece up by its UTF-8 text; see <see cref="PieceToId"/>.</summary>
    public bool TryGetTokenId(string token, out int id)
    {
        id = PieceToId(Encoding.UTF8.GetBytes(token));
        return id >= 0;
    }

    private static bool TryParseByteToken(ReadOnlySpan<byte> piece, out byte value)
    {
        value = 0;
        if (piece.Length != 6 || piece[0] != (byte)'<' || piece[1] != (byte)'0' || piece[2] != (byte)'x' || piece[5] != (byte)'>')
            return false;
        var hi = HexValue(piece[3]);
        var lo = HexValue(piece[4]);
        if (hi < 0 || lo < 0)
            return false;
        value = (byte)(hi * 16 + lo);
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)_pieces.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside [0, {_pieces.Length})");
        return id;
    }

    private static string Latin1(byte[] bytes) => string.Create(bytes.Length, bytes, static (chars, b) =>
    {
        for (var i = 0; i < b.Length; i++)
            chars[i] = (char)b[i];
    });
}
