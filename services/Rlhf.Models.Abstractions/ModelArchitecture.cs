namespace Rlhf.Models;

/// <summary>
/// Hyper-parameters of a Llama-family decoder (Touvron et al. 2023) as Hugging Face's <c>config.json</c> states them:
/// token embedding, <see cref="NLayers"/> blocks of RMSNorm → grouped-query causal attention with rotary position
/// embeddings → RMSNorm → SwiGLU MLP, a final RMSNorm, an LM head (tied to the embedding or not), and a scalar head
/// (value / reward) <c>s = score.weight · h + score.bias</c> on the final hidden state.
/// </summary>
/// <param name="ModelType">HF <c>model_type</c>: <c>llama</c>, or <c>qwen2</c> (q/k/v biases).</param>
/// <param name="Dim">Model width C (<c>hidden_size</c>).</param>
/// <param name="HiddenDim">SwiGLU hidden width (<c>intermediate_size</c>).</param>
/// <param name="NLayers">Number of transformer blocks L.</param>
/// <param name="NHeads">Number of query heads NH; head size HS = Dim / NHeads.</param>
/// <param name="NKvHeads">Number of key/value heads (grouped-query attention), NHeads % NKvHeads == 0.</param>
/// <param name="VocabSize">Vocabulary size V.</param>
/// <param name="MaxSeqLen">Longest sequence (prompt + response tokens) accepted (<c>max_position_embeddings</c>).</param>
/// <param name="NormEps">RMSNorm epsilon.</param>
/// <param name="RopeTheta">Rotary embedding base θ.</param>
/// <param name="TiedEmbeddings">True when the LM head shares the token-embedding matrix.</param>
/// <param name="AttentionBias">True when q/k/v projections have biases (Qwen2; Llama's <c>attention_bias</c>).</param>
/// <param name="RopeScaling">HF <c>rope_scaling</c>, or null for plain RoPE.</param>
public sealed record ModelArchitecture(
    string ModelType,
    int Dim,
    int HiddenDim,
    int NLayers,
    int NHeads,
    int NKvHeads,
    int VocabSize,
    int MaxSeqLen,
    float NormEps = 1e-5f,
    float RopeTheta = 10000f,
    bool TiedEmbeddings = true,
    bool AttentionBias = false,
    RopeScaling? RopeScaling = null)
{
    /// <summary>Head size HS = Dim / NHeads.</summary>
    public int HeadSize => Dim / NHeads;

    /// <summary>Key/value width = NKvHeads · HS.</summary>
    public int KvDim => NKvHeads * HeadSize;

    /// <summary>True when <paramref name="other"/> has the same parameter shapes, so that either's parameters load into the other.</summary>
    public bool HasSameShapes(ModelArchitecture other) =>
        (Dim, HiddenDim, NLayers, NHeads, NKvHeads, VocabSize, TiedEmbeddings, AttentionBias)
        == (other.Dim, other.HiddenDim, other.NLayers, other.NHeads, other.NKvHeads, other.VocabSize, other.TiedEmbeddings, other.AttentionBias);

    /// <summary>Throws <see cref="ArgumentException"/> naming the offending field when the configuration is inconsistent.</summary>
    public void Validate()
    {
        if (Dim <= 0 || HiddenDim <= 0 || NLayers <= 0 || NHeads <= 0 || NKvHeads <= 0 || VocabSize <= 0 || MaxSeqLen <= 0)
            throw new ArgumentException($"model config has a non-positive size: {this}");
        if (Dim % NHeads != 0)
            throw new ArgumentException($"hidden_size ({Dim}) must be divisible by num_attention_heads ({NHeads})");
        if (NHeads % NKvHeads != 0)
            throw new ArgumentException($"num_attention_heads ({NHeads}) must be divisible by num_key_value_heads ({NKvHeads})");
        if (HeadSize % 2 != 0)
            throw new ArgumentException($"head size ({HeadSize}) must be even for rotary embeddings");
        RopeScaling?.Validate();
    }
}

/// <summary>
/// HF <c>rope_scaling</c>: <c>linear</c> (positions divided by <see cref="Factor"/>, Chen et al. 2023) or <c>llama3</c>
/// (Llama 3.1's frequency-dependent scaling of the inverse frequencies: wavelengths above
/// <c>OriginalMaxPositionEmbeddings / LowFreqFactor</c> divided by <see cref="Factor"/>, below
/// <c>… / HighFreqFactor</c> kept, smoothly interpolated between; transformers' <c>_compute_llama3_parameters</c>).
/// </summary>
/// <param name="Type"><c>linear</c> or <c>llama3</c>.</param>
/// <param name="Factor">Scaling factor (&gt; 0).</param>
/// <param name="LowFreqFactor">llama3 only.</param>
/// <param name="HighFreqFactor">llama3 only.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3 only: the pre-training context length.</param>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositionEmbeddings = 8192)
{
    /// <summary>Throws <see cref="ArgumentException"/> for an unknown type or a non-positive factor.</summary>
    public void Validate()
    {
        if (Type is not ("linear" or "llama3"))
            throw new ArgumentException($"rope_scaling type '{Type}' is not supported (supported: linear, llama3)");
        if (!(Factor > 0))
            throw new ArgumentException($"rope_scaling factor must be > 0, got {Factor}");
        if (Type == "llama3" && !(HighFreqFactor > LowFreqFactor && LowFreqFactor > 0 && OriginalMaxPositionEmbeddings > 0))
            throw new ArgumentException($"rope_scaling llama3 needs high_freq_factor > low_freq_factor > 0 and original_max_position_embeddings > 0, got {this}");
    }
}
