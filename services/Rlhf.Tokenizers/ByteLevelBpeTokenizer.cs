using System.Text;
using System.Text.RegularExpressions;
using Ml = Microsoft.ML.Tokenizers;

namespace Rlhf.Tokenizers;

/// <summary>
/// Byte-level BPE (Radford et al. 2019, GPT-2, section 2.2) as shipped by Llama 3, Qwen2 and SmolLM: the text is
/// split by a pre-tokenizer regex, each chunk's UTF-8 bytes are written with GPT-2's 256 printable byte characters
/// (space = <c>Ġ</c>), and adjacent symbols merge by the rank of their pair in the merge list. Loaded from a
/// Hugging Face <c>tokenizer.json</c>, or from <c>vocab.json</c> + <c>merges.txt</c>.
/// </summary>
/// <remarks>
/// <para>Microsoft.ML.Tokenizers' <see cref="Ml.BpeTokenizer"/> (with <see cref="Ml.BpeOptions.ByteLevel"/>) does the
/// merges, the byte mapping and decoding. This class adds the pieces that the library lacks:</para>
/// <list type="bullet">
/// <item>reading <c>tokenizer.json</c> (vocabulary, merges in either format, added tokens, normalizer,
/// pre-tokenizer);</item>
/// <item>the pre-tokenizer: <c>Split</c> (Isolated) with the file's regex (Qwen2's and Llama 3's), <c>ByteLevel</c>
/// with GPT-2's regex and <c>add_prefix_space</c>, and <c>Digits</c> (SmolLM), chained as a <c>Sequence</c>;</item>
/// <item><c>ignore_merges</c> (Llama 3): a chunk that is itself a token is emitted whole;</item>
/// <item>the <c>NFC</c> normalizer (Qwen2).</item>
/// </list>
/// <para>.NET's regex tests character categories per UTF-16 unit, so a letter or digit outside the Basic
/// Multilingual Plane (𝐀, 𝟎) counts as a symbol, where Hugging Face's Rust regex sees a letter; emoji are symbols in
/// both. Special (added) tokens decode to nothing and, like all text, are never parsed out of the input.</para>
/// </remarks>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    /// <summary>GPT-2's pre-tokenizer regex (also the <c>ByteLevel</c> pre-tokenizer's with <c>use_regex</c>).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2's pre-tokenizer regex (transformers' <c>Qwen2Tokenizer</c>, and its <c>tokenizer.json</c>).</summary>
    public const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly char[] s_byteToChar = BuildByteToChar();

    private readonly Ml.BpeTokenizer _bpe;
    private readonly Regex[] _splits; // applied in order; each splits every piece of the previous one
    private readonly bool _addPrefixSpace;
    private readonly bool _nfc;
    private readonly bool _ignoreMerges;
    private readonly IReadOnlyDictionary<string, int> _vocabulary; // byte-level token text → id
    private readonly Dictionary<string, int> _addedTokens = new(StringComparer.Ordinal); // content → id
    private readonly byte[] _kind; // per id: 0 no token, 1 token, 2 special (decodes to nothing)

    private ByteLevelBpeTokenizer(Ml.BpeTokenizer bpe, PreTokenization pre, bool nfc, bool ignoreMerges,
        IEnumerable<(int Id, string Content, bool Special)> added, CheckpointConfig config, string fingerprint)
    {
        _bpe = bpe;
        _splits = pre.Patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant)).ToArray();
        _addPrefixSpace = pre.AddPrefixSpace;
        _nfc = nfc;
        _ignoreMerges = ignoreMerges;
        _vocabulary = bpe.Vocabulary;
        var size = _vocabulary.Count == 0 ? 0 : _vocabulary.Values.Max() + 1;
        var addedList = added.ToList();
        foreach (var (id, content, _) in addedList)
        {
            size = Math.Max(size, id + 1);
            _addedTokens.TryAdd(content, id);
        }
        _kind = new byte[size];
        foreach (var id in _vocabulary.Values)
            _kind[id] = 1;
        foreach (var (id, _, special) in addedList)
            _kind[id] = special ? (byte)2 : (byte)1;
        VocabSize = size;
        Fingerprint = fingerprint;
        // GPT-2's convention (transformers' GPT2Tokenizer): <|endoftext|> ends text when no config names an EOS.
        int? endOfText = TryGetTokenId("<|endoftext|>", out var eot) ? eot : null;
        SpecialTokens = config.Resolve(new SpecialTokenIds(null, endOfText, null, null), t => TryGetTokenId(t, out var id) ? id : null, VocabSize);
    }

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public SpecialTokenIds SpecialTokens { get; }

    /// <summary>Fingerprint of <c>tokenizer.json</c>, or of <c>vocab.json</c> followed by <c>merges.txt</c>.</summary>
    public string Fingerprint { get; }

    /// <summary>The pre-tokenizer regexes, applied in order (each splits the pieces of the one before).</summary>
    public IReadOnlyList<string> PreTokenizerPatterns => _splits.Select(r => r.ToString()).ToArray();

    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c> whose model is byte-level BPE; special tokens from
    /// <paramref name="config"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or misses the model's vocabulary or merges.</exception>
    /// <exception cref="NotSupportedException">A part of the pipeline has no equivalent here (another model type, a
    /// normalizer other than NFC, a pre-tokenizer other than Split/ByteLevel/Digits); the message names it.</exception>
    internal static ByteLevelBpeTokenizer FromTokenizerJson(string path, CheckpointConfig config)
    {
        var json = TokenizerJson.Read(path);
        var options = new Ml.BpeOptions(json.Vocabulary.Select(kv => new KeyValuePair<string, int>(kv.Key, kv.Value))
            .Concat(NonSpecialAddedTokens(json.AddedTokens, json.Vocabulary)))
        {
            Merges = json.Merges,
            ByteLevel = true,
        };
        return new ByteLevelBpeTokenizer(Ml.BpeTokenizer.Create(options), json.PreTokenization, json.Nfc, json.IgnoreMerges,
            json.AddedTokens, config, FileFingerprint.OfFiles(path));
    }

    /// <summary>
    /// Loads GPT-2-style <c>vocab.json</c> + <c>merges.txt</c>. The pre-tokenizer is GPT-2's, or Qwen2's (with NFC)
    /// when <c>tokenizer_config.json</c> names <c>Qwen2Tokenizer</c>; added tokens come from its
    /// <c>added_tokens_decoder</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">A file cannot be parsed.</exception>
    internal static ByteLevelBpeTokenizer FromVocabAndMerges(string vocabPath, string mergesPath, CheckpointConfig config)
    {
        Ml.BpeTokenizer bpe;
        try
        {
            bpe = Ml.BpeTokenizer.Create(new Ml.BpeOptions(vocabPath, mergesPath) { ByteLevel = true });
        }
        catch (Exception e) when (e is not IOException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{vocabPath} + {mergesPath}: not a byte-level BPE vocabulary and merge list ({e.Message})", e);
        }
        var added = config.AddedTokens.Select(t => (t.Key, t.Value.Content, t.Value.Special)).ToList();
        if (added.Any(t => !t.Special && !bpe.Vocabulary.ContainsKey(ToByteLevel(t.Content))))
        {
            // the library's vocabulary is fixed once created: recreate it with the non-special added tokens
            var vocabulary = bpe.Vocabulary.ToDictionary(kv => kv.Key, kv => kv.Value);
            var merges = File.ReadLines(mergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
            bpe = Ml.BpeTokenizer.Create(new Ml.BpeOptions(vocabulary.Concat(NonSpecialAddedTokens(added, vocabulary))) { Merges = merges, ByteLevel = true });
        }
        var qwen2 = config.TokenizerClass is "Qwen2Tokenizer" or "Qwen2TokenizerFast";
        var pre = new PreTokenization([qwen2 ? Qwen2Pattern : Gpt2Pattern], AddPrefixSpace: false);
        return new ByteLevelBpeTokenizer(bpe, pre, nfc: qwen2, ignoreMerges: false, added, config, FileFingerprint.OfFiles(vocabPath, mergesPath));
    }

    /// <inheritdoc />
    public int[] Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos && SpecialTokens.Bos is { } bos)
            ids.Add(bos);
        if (_nfc)
            text = Nfc.Normalize(text);
        if (_addPrefixSpace && text.Length > 0 && text[0] != ' ')
            text = " " + text;
        foreach (var chunk in PreTokenize(text))
        {
            if (_ignoreMerges && _vocabulary.TryGetValue(ToByteLevel(chunk), out var whole))
                ids.Add(whole);
            else
                ids.AddRange(_bpe.EncodeToIds(chunk, considerPreTokenization: false, considerNormalization: false));
        }
        return [.. ids];
    }

    /// <summary>The chunks that BPE merges within: every split regex in turn, keeping matches and the text between
    /// them as separate pieces (Hugging Face's <c>Isolated</c> behaviour). Normalization is not applied here.</summary>
    public IReadOnlyList<string> PreTokenize(string text)
    {
        List<string> pieces = text.Length > 0 ? [text] : [];
        foreach (var regex in _splits)
        {
            var next = new List<string>(pieces.Count * 2);
            foreach (var piece in pieces)
            {
                var at = 0;
                foreach (var m in regex.EnumerateMatches(piece))
                {
                    if (m.Length == 0)
                        continue;
                    if (m.Index > at)
                        next.Add(piece[at..m.Index]);
                    next.Add(piece.Substring(m.Index, m.Length));
                    at = m.Index + m.Length;
                }
                if (at < piece.Length)
                    next.Add(piece[at..]);
            }
            pieces = next;
        }
        return pieces;
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var tokens = new List<int>(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_kind.Length || _kind[id] == 0)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} names no token (vocabulary [0, {VocabSize}))");
            if (_kind[id] == 1)
                tokens.Add(id);
        }
        return _bpe.Decode(tokens);
    }

    /// <inheritdoc />
    public IStreamingDecoder CreateStreamingDecoder(int previousId = -1) => new WindowedStreamingDecoder(this, previousId);

    /// <summary>Looks up an added token by its content (<c>"&lt;|im_start|&gt;"</c>), else a vocabulary token by its
    /// text (<c>" the"</c> finds <c>"Ġthe"</c>).</summary>
    public bool TryGetTokenId(string token, out int id) =>
        _addedTokens.TryGetValue(token, out id) || _vocabulary.TryGetValue(ToByteLevel(token), out id);

    /// <summary>Text in GPT-2's byte-level alphabet: each UTF-8 byte as one printable character.</summary>
    internal static string ToByteLevel(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (var i = 0; i < b.Length; i++)
                chars[i] = s_byteToChar[b[i]];
        });
    }

    /// <summary>GPT-2's bytes_to_unicode: bytes of printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
    /// themselves; the other 68 bytes map to U+0100 onwards in byte order.</summary>
    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    /// <summary>Non-special added tokens as vocabulary entries (in byte-level form), so that they decode to their content.</summary>
    private static IEnumerable<KeyValuePair<string, int>> NonSpecialAddedTokens(
        IEnumerable<(int Id, string Content, bool Special)> added, IReadOnlyDictionary<string, int> vocabulary) =>
        added.Where(t => !t.Special && !vocabulary.ContainsKey(ToByteLevel(t.Content)))
            .Select(t => new KeyValuePair<string, int>(ToByteLevel(t.Content), t.Id));

    /// <summary>Pre-tokenizer settings: split regexes in order, and ByteLevel's <c>add_prefix_space</c>.</summary>
    internal sealed record PreTokenization(IReadOnlyList<string> Patterns, bool AddPrefixSpace);
}
