using Rlhf.Engine;

namespace Rlhf.Models.Native;

/// <summary>Converts between the engine's <see cref="ModelConfig"/> and the contract's <see cref="ModelArchitecture"/>.</summary>
public static class EngineArchitecture
{
    /// <summary>The architecture of an engine configuration: llama, no biases, plain RoPE.</summary>
    public static ModelArchitecture ToArchitecture(this ModelConfig c) =>
        new("llama", c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKvHeads, c.VocabSize, c.MaxSeqLen, c.NormEps, c.RopeTheta, c.TiedEmbeddings);

    /// <summary>
    /// The features of <paramref name="architecture"/> that the native engine does not implement, each named with the
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
