using System.Text.Json;

namespace Rlhf.Tokenizers;

/// <summary>
/// What a Hugging Face checkpoint directory says about its tokenizer, read from <c>tokenizer_config.json</c>,
/// <c>special_tokens_map.json</c>, <c>generation_config.json</c> and <c>config.json</c> (each optional).
/// </summary>
internal sealed class CheckpointConfig
{
    private readonly Dictionary<string, (string File, string? Token)> _tokens = [];
    private readonly Dictionary<string, (string File, int[] Ids)> _ids = [];
    private readonly List<(string File, int[] Ids)> _eosLists = []; // generation_config.json's, then config.json's

    private CheckpointConfig(string? directory) => Directory = directory;

    /// <summary>The directory read, or null for none.</summary>
    public string? Directory { get; }

    /// <summary><c>tokenizer_config.json</c>'s <c>tokenizer_class</c> (e.g. <c>Qwen2Tokenizer</c>).</summary>
    public string? TokenizerClass { get; private set; }

    /// <summary>Added tokens of <c>tokenizer_config.json</c>'s <c>added_tokens_decoder</c>: id → (content, special).</summary>
    public IReadOnlyDictionary<int, (string Content, bool Special)> AddedTokens { get; private set; } =
        new Dictionary<int, (string, bool)>();

    /// <summary>The chat template: <c>tokenizer_config.json</c>'s <c>chat_template</c> (a string, or the entry named
    /// "default" of a list of named templates), else the file <c>chat_template.jinja</c>; null when there is none.</summary>
    public string? ChatTemplate { get; private set; }

    /// <summary>The configured string of a special token (<c>"bos"</c>, <c>"eos"</c>, <c>"pad"</c>, <c>"unk"</c>); null
    /// when none is configured or it is explicitly null.</summary>
    public string? TokenString(string name) => _tokens.TryGetValue(name + "_token", out var t) ? t.Token : null;

    /// <summary>An empty configuration (a tokenizer file on its own).</summary>
    public static CheckpointConfig None { get; } = new(null);

    /// <summary>Reads the config files present in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A file is not valid JSON or a field has the wrong type; the message
    /// names the file and field.</exception>
    public static CheckpointConfig Read(string directory)
    {
        var config = new CheckpointConfig(directory);
        // Lowest precedence first: ids from config.json, then generation_config.json; token strings from
        // tokenizer_config.json, then special_tokens_map.json (which transformers applies over it).
        config.ReadIds(Path.Combine(directory, "config.json"));
        config.ReadIds(Path.Combine(directory, "generation_config.json"));
        var tokenizerConfig = Path.Combine(directory, "tokenizer_config.json");
        config.ReadTokens(tokenizerConfig);
        config.ReadTokens(Path.Combine(directory, "special_tokens_map.json"));
        if (Parse(tokenizerConfig) is { } root)
        {
            if (root.TryGetProperty("tokenizer_class", out var cls) && cls.ValueKind == JsonValueKind.String)
                config.TokenizerClass = cls.GetString();
            if (root.TryGetProperty("chat_template", out var template))
            {
                config.ChatTemplate = template.ValueKind switch
                {
                    JsonValueKind.String => template.GetString(),
                    JsonValueKind.Array => template.EnumerateArray()
                        .Where(t => t.TryGetProperty("name", out var n) && n.GetString() == "default" && t.TryGetProperty("template", out _))
                        .Select(t => t.GetProperty("template").GetString()).FirstOrDefault(),
                    JsonValueKind.Null => null,
                    _ => throw new InvalidDataException($"{tokenizerConfig}: chat_template must be a string or a list of {{\"name\", \"template\"}}"),
                };
            }
            if (root.TryGetProperty("added_tokens_decoder", out var added) && added.ValueKind == JsonValueKind.Object)
            {
                var tokens = new Dictionary<int, (string, bool)>();
                foreach (var entry in added.EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, out var id) || id < 0 || TokenContent(entry.Value) is not { } content)
                        throw new InvalidDataException($"{tokenizerConfig}: added_tokens_decoder entry \"{entry.Name}\" needs a non-negative integer key and a \"content\" string");
                    var special = entry.Value.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                    tokens[id] = (content, special);
                }
                config.AddedTokens = tokens;
            }
        }
        var jinja = Path.Combine(directory, "chat_template.jinja");
        if (config.ChatTemplate is null && File.Exists(jinja))
            config.ChatTemplate = File.ReadAllText(jinja);
        return config;
    }

    /// <summary>
    /// The special tokens: for each of BOS, EOS, pad and unknown, a token string from the tokenizer configs (looked
    /// up with <paramref name="lookup"/>; an explicit null means none, as Qwen2's <c>"bos_token": null</c>), else an
    /// id from <c>generation_config.json</c> or <c>config.json</c>, else <paramref name="defaults"/>.
    /// <see cref="SpecialTokenIds.StopIds"/> adds every EOS id of those two files.
    /// </summary>
    /// <exception cref="InvalidDataException">A configured token is not in the vocabulary, or an id is outside
    /// [0, <paramref name="vocabSize"/>); the message names the file.</exception>
    public SpecialTokenIds Resolve(SpecialTokenIds defaults, Func<string, int?> lookup, int vocabSize)
    {
        int? One(string name, int? fallback)
        {
            if (_tokens.TryGetValue(name + "_token", out var t))
            {
                if (t.Token is null)
                    return null;
                return lookup(t.Token) ?? throw new InvalidDataException(
                    $"{t.File}: {name}_token \"{t.Token}\" is not a token of this tokenizer");
            }
            return _ids.TryGetValue(name + "_token_id", out var ids) && ids.Ids.Length > 0 ? CheckId(ids.File, name, ids.Ids[0]) : fallback;
        }
        int CheckId(string file, string name, int id) => id >= 0 && id < vocabSize ? id
            : throw new InvalidDataException($"{file}: {name}_token_id {id} is outside the vocabulary [0, {vocabSize})");

        var eos = One("eos", defaults.Eos);
        var stops = new List<int>();
        if (eos is { } e)
            stops.Add(e);
        foreach (var (file, ids) in _eosLists)
            stops.AddRange(ids.Select(id => CheckId(file, "eos", id)));
        return new SpecialTokenIds(One("bos", defaults.Bos), eos, One("pad", defaults.Pad), One("unk", defaults.Unknown))
        {
            StopIds = stops.Distinct().ToArray(),
        };
    }

    private void ReadTokens(string path)
    {
        if (Parse(path) is not { } root)
            return;
        foreach (var name in new[] { "bos_token", "eos_token", "pad_token", "unk_token" })
        {
            if (!root.TryGetProperty(name, out var value))
                continue;
            if (value.ValueKind == JsonValueKind.Null)
                _tokens[name] = (path, null);
            else if (TokenContent(value) is { } content)
                _tokens[name] = (path, content);
            else
                throw new InvalidDataException($"{path}: {name} must be a string, an object with a \"content\" string, or null");
        }
    }

    private void ReadIds(string path)
    {
        if (Parse(path) is not { } root)
            return;
        foreach (var name in new[] { "bos_token_id", "eos_token_id", "pad_token_id" })
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                continue;
            int[] ids;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var one))
                ids = [one];
            else if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out _)))
                ids = value.EnumerateArray().Select(v => v.GetInt32()).ToArray();
            else
                throw new InvalidDataException($"{path}: {name} must be an integer or a list of integers");
            _ids[name] = (path, ids);
            if (name == "eos_token_id")
                _eosLists.Insert(0, (path, ids)); // files are read lowest precedence first
        }
    }

    private static string? TokenContent(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    /// <summary>The root object of a JSON file, or null when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a JSON object.</exception>
    internal static JsonElement? Parse(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: a JSON object expected, found {doc.RootElement.ValueKind}");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
    }
}
