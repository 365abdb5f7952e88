using Rlhf.Models;

namespace Rlhf.Engine.IO;

/// <summary>
/// A Hugging Face <c>config.json</c> as an engine <see cref="ModelConfig"/>: the file is read and written by the
/// model contract's <see cref="HfModelConfig"/> (keys of <c>transformers.LlamaConfig</c> / <c>Qwen2Config</c>); this
/// class converts, and refuses what the engine does not implement (q/k/v biases, rope_scaling) by name.
/// </summary>
public static class HfLlamaConfig
{
    /// <summary>The config.json text for <paramref name="config"/> (model_type llama, torch_dtype float32, bos/eos 1/2).</summary>
    public static string ToJson(ModelConfig config) => HfModelConfig.ToJson(ToArchitecture(config));

    /// <summary>Parses a config.json (defaults as transformers: see <see cref="HfModelConfig.Parse"/>).</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Path named in error messages.</param>
    /// <exception cref="InvalidDataException">As <see cref="HfModelConfig.Parse"/>, or the configuration needs a feature
    /// the engine lacks (named, see <see cref="UnsupportedFeatures"/>).</exception>
    public static ModelConfig FromJson(string json, string source = "config.json") => FromArchitecture(HfModelConfig.Parse(json, source), source);

    /// <summary>The architecture of an engine configuration: llama, no biases, plain RoPE.</summary>
    public static ModelArchitecture ToArchitecture(this ModelConfig c) =>
        new("llama", c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKvHeads, c.VocabSize, c.MaxSeqLen, c.NormEps, c.RopeTheta, c.TiedEmbeddings);

    /// <summary>The engine configuration of <paramref name="architecture"/>.</summary>
    /// <exception cref="InvalidDataException">It needs a feature the engine does not implement; the message names each
    /// with its config.json key and points to the torch backend.</exception>
    public static ModelConfig FromArchitecture(ModelArchitecture architecture, string source)
    {
        var unsupported = UnsupportedFeatures(architecture);
        if (unsupported.Count > 0)
            throw new InvalidDataException($"{source}: the native engine does not support {string.Join(" and ", unsupported)}; load it with Model:Backend=torch");
        var a = architecture;
        return new ModelConfig(a.Dim, a.HiddenDim, a.NLayers, a.NHeads, a.NKvHeads, a.VocabSize, a.MaxSeqLen, a.NormEps, a.RopeTheta, a.TiedEmbeddings);
    }

    /// <summary>
    /// The features of <paramref name="architecture"/> that the engine does not implement, each named with the
    /// config.json key that asks for it; empty when it runs on the engine.
    /// </summary>
    public static IReadOnlyList<string> UnsupportedFeatures(ModelArchitecture architecture)
    {
        var features = new List<string>();
        if (architecture.AttentionBias)
            features.Add($"q/k/v projection biases (attention_bias, model_type {architecture.ModelType})");
        if (architecture.RopeScaling is { } s)
            features.Add($"rope_scaling type {s.Type}");
        return features;
    }
}
