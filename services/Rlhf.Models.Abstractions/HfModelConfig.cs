using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Models;

/// <summary>
/// Reads and writes a Hugging Face <c>config.json</c> for <c>LlamaForCausalLM</c> / <c>Qwen2ForCausalLM</c> (keys of
/// <c>transformers.LlamaConfig</c> and <c>Qwen2Config</c>): hidden_size, intermediate_size, num_hidden_layers,
/// num_attention_heads, num_key_value_heads, vocab_size, max_position_embeddings, rms_norm_eps, rope_theta,
/// rope_scaling, tie_word_embeddings, attention_bias (Qwen2 always has q/k/v biases), head_dim, hidden_act.
/// </summary>
public static class HfModelConfig
{
    /// <summary>The file name in a checkpoint directory.</summary>
    public const string FileName = "config.json";

    /// <summary>Reads <c>config.json</c> from a checkpoint directory.</summary>
    /// <exception cref="FileNotFoundException">No config.json.</exception>
    /// <exception cref="InvalidDataException">See <see cref="Parse"/>.</exception>
    public static ModelArchitecture Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} does not exist: an HF checkpoint directory needs config.json", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Parses a config.json. Defaults as in transformers: num_key_value_heads = num_attention_heads, rms_norm_eps 1e-6,
    /// rope_theta 10000, tie_word_embeddings false (Llama) / per the file (Qwen2), attention_bias false (Llama) / true (Qwen2).
    /// </summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing or mistyped key, a model_type other than llama
    /// or qwen2, an activation other than silu, a head_dim other than hidden_size / num_attention_heads, an unknown
    /// rope_scaling type, or an inconsistent configuration; the message names the key.</exception>
    public static ModelArchitecture Parse(string json, string source = FileName)
    {
        try
        {
            return ParseCore(json, source);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: a key has the wrong JSON type: {e.Message}", e);
        }
    }

    private static ModelArchitecture ParseCore(string json, string source)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: invalid JSON: {e.Message}", e);
        }
        var type = root["model_type"] is JsonValue t ? t.GetValue<string>() : "llama";
        if (type is not ("llama" or "qwen2"))
            throw new InvalidDataException($"{source}: model_type '{type}' is not supported (supported: llama, qwen2)");
        if (root["hidden_act"] is JsonValue act && act.GetValue<string>() != "silu")
            throw new InvalidDataException($"{source}: hidden_act '{act}' is not supported (SwiGLU needs silu)");
        var heads = Required(root, "num_attention_heads", source);
        var dim = Required(root, "hidden_size", source);
        if (Optional(root, "head_dim", source) is { } headDim && headDim * heads != dim)
            throw new InvalidDataException($"{source}: head_dim {headDim} × num_attention_heads {heads} ≠ hidden_size {dim}; decoupled head sizes are not supported");
        var bias = root["attention_bias"] is JsonValue b ? b.GetValue<bool>() : type == "qwen2";
        if (type == "qwen2" && root["use_sliding_window"] is JsonValue sw && sw.GetValue<bool>())
            throw new InvalidDataException($"{source}: use_sliding_window true is not supported");
        var config = new ModelArchitecture(
            ModelType: type,
            Dim: dim,
            HiddenDim: Required(root, "intermediate_size", source),
            NLayers: Required(root, "num_hidden_layers", source),
            NHeads: heads,
            NKvHeads: Optional(root, "num_key_value_heads", source) ?? heads,
            VocabSize: Required(root, "vocab_size", source),
            MaxSeqLen: Required(root, "max_position_embeddings", source),
            NormEps: (float)(OptionalDouble(root, "rms_norm_eps", source) ?? 1e-6),
            RopeTheta: (float)(OptionalDouble(root, "rope_theta", source) ?? 10000.0),
            TiedEmbeddings: root["tie_word_embeddings"] is JsonValue tie && tie.GetValue<bool>(),
            AttentionBias: bias,
            RopeScaling: ParseRopeScaling(root, source));
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        return config;
    }

    private static RopeScaling? ParseRopeScaling(JsonObject root, string source)
    {
        if (root["rope_scaling"] is not JsonObject s)
            return null;
        var type = (s["rope_type"] ?? s["type"]) is JsonValue v ? v.GetValue<string>() : null;
        if (type is null or "default")
            return null;
        if (type is not ("linear" or "llama3"))
            throw new InvalidDataException($"{source}: rope_scaling type '{type}' is not supported (supported: linear, llama3)");
        var factor = OptionalDouble(s, "factor", source) ?? throw new InvalidDataException($"{source}: rope_scaling needs factor");
        return type == "linear"
            ? new RopeScaling(type, factor)
            : new RopeScaling(type, factor,
                OptionalDouble(s, "low_freq_factor", source) ?? 1,
                OptionalDouble(s, "high_freq_factor", source) ?? 4,
                Optional(s, "original_max_position_embeddings", source) ?? 8192);
    }

    /// <summary>
    /// The config.json text for <paramref name="config"/>: architectures, model_type, the sizes, torch_dtype, and
    /// bos/eos ids 1/2 unless given.
    /// </summary>
    public static string ToJson(ModelArchitecture config, string torchDtype = "float32", int bosTokenId = 1, int eosTokenId = 2)
    {
        var node = new JsonObject
        {
            ["architectures"] = new JsonArray(config.ModelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = config.ModelType,
            ["hidden_size"] = config.Dim,
            ["intermediate_size"] = config.HiddenDim,
            ["num_hidden_layers"] = config.NLayers,
            ["num_attention_heads"] = config.NHeads,
            ["num_key_value_heads"] = config.NKvHeads,
            ["vocab_size"] = config.VocabSize,
            ["max_position_embeddings"] = config.MaxSeqLen,
            ["rms_norm_eps"] = (double)(decimal)config.NormEps,
            ["rope_theta"] = (double)(decimal)config.RopeTheta,
            ["tie_word_embeddings"] = config.TiedEmbeddings,
            ["hidden_act"] = "silu",
            ["attention_bias"] = config.AttentionBias,
            ["torch_dtype"] = torchDtype,
            ["bos_token_id"] = bosTokenId,
            ["eos_token_id"] = eosTokenId,
        };
        if (config.RopeScaling is { } r)
        {
            node["rope_scaling"] = r.Type == "linear"
                ? new JsonObject { ["rope_type"] = "linear", ["factor"] = r.Factor }
                : new JsonObject
                {
                    ["rope_type"] = "llama3", ["factor"] = r.Factor, ["low_freq_factor"] = r.LowFreqFactor,
                    ["high_freq_factor"] = r.HighFreqFactor, ["original_max_position_embeddings"] = r.OriginalMaxPositionEmbeddings,
                };
        }
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static int Required(JsonObject root, string key, string source) =>
        Optional(root, key, source) ?? throw new InvalidDataException($"{source}: missing required key {key}");

    private static int? Optional(JsonObject root, string key, string source)
    {
        if (root[key] is null)
            return null;
        return root[key] is JsonValue v && v.TryGetValue<int>(out var i)
            ? i
            : throw new InvalidDataException($"{source}: {key} must be an integer, found {root[key]!.ToJsonString()}");
    }

    private static double? OptionalDouble(JsonObject root, string key, string source)
    {
        if (root[key] is null)
            return null;
        return root[key] is JsonValue v && v.TryGetValue<double>(out var d)
            ? d
            : throw new InvalidDataException($"{source}: {key} must be a number, found {root[key]!.ToJsonString()}");
    }
}
