using System.Text.Json;

namespace Rlhf.Tokenizers;

/// <summary>
/// The parts of a Hugging Face <c>tokenizer.json</c> (the <c>tokenizers</c> library's serialization) that a
/// byte-level BPE needs: <c>model</c> (BPE vocabulary, merges as <c>"a b"</c> strings or <c>["a", "b"]</c> pairs,
/// <c>ignore_merges</c>), <c>added_tokens</c>, <c>normalizer</c> and <c>pre_tokenizer</c>.
/// </summary>
internal sealed record TokenizerJson(
    IReadOnlyDictionary<string, int> Vocabulary,
    IReadOnlyList<string> Merges,
    IReadOnlyList<(int Id, string Content, bool Special)> AddedTokens,
    ByteLevelBpeTokenizer.PreTokenization PreTokenization,
    bool Nfc,
    bool IgnoreMerges)
{
    /// <summary>True when the file's pre-tokenizer includes <c>ByteLevel</c> (GPT-2-style BPE, not SentencePiece-style).</summary>
    public static bool IsByteLevel(string path)
    {
        var root = CheckpointConfig.Parse(path) ?? throw new FileNotFoundException($"{path} not found", path);
        return root.TryGetProperty("pre_tokenizer", out var pre) && ContainsType(pre, "ByteLevel");
    }

    /// <exception cref="InvalidDataException">Not valid JSON, or the model misses its vocabulary or merges.</exception>
    /// <exception cref="NotSupportedException">A component has no equivalent here; the message names it.</exception>
    public static TokenizerJson Read(string path)
    {
        var root = CheckpointConfig.Parse(path) ?? throw new FileNotFoundException($"{path} not found", path);
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: no \"model\" object");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != "BPE")
            throw new NotSupportedException($"{path}: model type \"{type}\" is not supported; only byte-level \"BPE\" is");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.TryGetProperty(affix, out var a) && a.ValueKind == JsonValueKind.String && a.GetString()!.Length > 0)
                throw new NotSupportedException($"{path}: model.{affix} \"{a.GetString()}\" is not supported by byte-level BPE");
        }
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: model.vocab must be an object of token → id");
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out var id) || id < 0)
                throw new InvalidDataException($"{path}: model.vocab[\"{entry.Name}\"] must be a non-negative integer id");
            vocabulary[entry.Name] = id;
        }
        if (!model.TryGetProperty("merges", out var mergeList) || mergeList.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: model.merges must be an array");
        var merges = new List<string>(mergeList.GetArrayLength());
        foreach (var m in mergeList.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
                merges.Add(m.GetString()!);
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].GetString() is { } a && m[1].GetString() is { } b)
                merges.Add(a.Contains(' ') || b.Contains(' ')
                    ? throw new InvalidDataException($"{path}: merge [\"{a}\", \"{b}\"] contains a space, which byte-level tokens never do")
                    : $"{a} {b}");
            else
                throw new InvalidDataException($"{path}: model.merges[{merges.Count}] must be \"a b\" or [\"a\", \"b\"]");
        }
        var ignoreMerges = model.TryGetProperty("ignore_merges", out var ig) && ig.ValueKind == JsonValueKind.True;

        var added = new List<(int, string, bool)>();
        if (root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in addedTokens.EnumerateArray())
            {
                if (!a.TryGetProperty("id", out var id) || !id.TryGetInt32(out var value) || value < 0
                    || !a.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}: added_tokens[{added.Count}] needs a non-negative \"id\" and a \"content\" string");
                added.Add((value, content.GetString()!, a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True));
            }
        }

        var nfc = root.TryGetProperty("normalizer", out var normalizer) && ReadNormalizer(path, normalizer);
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || !ContainsType(pre, "ByteLevel"))
            throw new NotSupportedException($"{path}: the pre-tokenizer has no ByteLevel step, so this is not a byte-level BPE (a SentencePiece-style tokenizer.json loads from its tokenizer.model)");
        var patterns = new List<string>();
        var addPrefixSpace = false;
        ReadPreTokenizer(path, pre, patterns, ref addPrefixSpace);
        return new TokenizerJson(vocabulary, merges, added, new ByteLevelBpeTokenizer.PreTokenization(patterns, addPrefixSpace), nfc, ignoreMerges);
    }

    /// <summary>True for NFC; false for none.</summary>
    private static bool ReadNormalizer(string path, JsonElement normalizer)
    {
        if (normalizer.ValueKind == JsonValueKind.Null)
            return false;
        var type = normalizer.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type == "NFC")
            return true;
        if (type == "Sequence" && normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var steps = list.EnumerateArray().ToList();
            if (steps.Count == 0)
                return false;
            if (steps.Count == 1)
                return ReadNormalizer(path, steps[0]);
        }
        throw new NotSupportedException($"{path}: normalizer \"{type}\" is not supported (only NFC or none)");
    }

    private static void ReadPreTokenizer(string path, JsonElement pre, List<string> patterns, ref bool addPrefixSpace)
    {
        var type = pre.TryGetProperty("type", out var t) ? t.GetString() : null;
        switch (type)
        {
            case "Sequence":
                foreach (var step in pre.GetProperty("pretokenizers").EnumerateArray())
                    ReadPreTokenizer(path, step, patterns, ref addPrefixSpace);
                break;
            case "ByteLevel":
                addPrefixSpace |= pre.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True;
                if (!pre.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind != JsonValueKind.False)
                    patterns.Add(ByteLevelBpeTokenizer.Gpt2Pattern);
                break;
            case "Split":
                var behavior = pre.TryGetProperty("behavior", out var b) ? b.GetString() : null;
                var invert = pre.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                if (behavior != "Isolated" || invert)
                    throw new NotSupportedException($"{path}: Split pre-tokenizer with behavior \"{behavior}\"{(invert ? " inverted" : "")} is not supported (only Isolated)");
                var pattern = pre.GetProperty("pattern");
                if (pattern.TryGetProperty("Regex", out var regex))
                    patterns.Add(regex.GetString()!);
                else if (pattern.TryGetProperty("String", out var literal))
                    patterns.Add(System.Text.RegularExpressions.Regex.Escape(literal.GetString()!));
                else
                    throw new InvalidDataException($"{path}: Split pattern needs \"Regex\" or \"String\"");
                break;
            case "Digits":
                var individual = pre.TryGetProperty("individual_digits", out var ind) && ind.ValueKind == JsonValueKind.True;
                patterns.Add(individual ? @"\p{N}" : @"\p{N}+");
                break;
            default:
                throw new NotSupportedException($"{path}: pre-tokenizer \"{type}\" is not supported (only Sequence, Split, ByteLevel, Digits)");
        }
    }

    private static bool ContainsType(JsonElement element, string type) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p =>
            (p.Name == "type" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == type) || ContainsType(p.Value, type)),
        JsonValueKind.Array => element.EnumerateArray().Any(e => ContainsType(e, type)),
        _ => false,
    };
}
