namespace Rlhf.Engine;

/// <summary>
/// Hyper-parameters of a Llama-family decoder (Touvron et al. 2023): token embedding, <see cref="NLayers"/> blocks of
/// RMSNorm → grouped-query causal attention with rotary position embeddings → RMSNorm → SwiGLU MLP, a final RMSNorm,
/// and an LM head (tied to the embedding or not) plus an optional scalar head (value / reward) on the final hidden state.
/// </summary>
/// <param name="Dim">Model width C (channels).</param>
/// <param name="HiddenDim">SwiGLU hidden width.</param>
/// <param name="NLayers">Number of transformer blocks L.</param>
/// <param name="NHeads">Number of query heads NH; head size HS = Dim / NHeads.</param>
/// <param name="NKvHeads">Number of key/value heads (grouped-query attention), 1 ≤ NKvHeads ≤ NHeads, NHeads % NKvHeads == 0.</param>
/// <param name="VocabSize">Vocabulary size V.</param>
/// <param name="MaxSeqLen">Longest sequence (prompt + response tokens) the model accepts.</param>
/// <param name="NormEps">RMSNorm epsilon.</param>
/// <param name="RopeTheta">Rotary embedding base θ.</param>
/// <param name="TiedEmbeddings">True when the LM head shares the token-embedding matrix.</param>
public sealed record ModelConfig(
    int Dim,
    int HiddenDim,
    int NLayers,
    int NHeads,
    int NKvHeads,
    int VocabSize,
    int MaxSeqLen,
    float NormEps = 1e-5f,
    float RopeTheta = 10000f,
    bool TiedEmbeddings = true)
{
    /// <summary>Head size HS = Dim / NHeads.</summary>
    public int HeadSize => Dim / NHeads;

    /// <summary>Key/value width = NKvHeads · HS.</summary>
    public int KvDim => NKvHeads * HeadSize;

    /// <summary>True when <paramref name="other"/> has the same parameter shapes (Dim, HiddenDim, NLayers, NHeads,
    /// NKvHeads, VocabSize, TiedEmbeddings), so that either's parameters load into the other.</summary>
    internal bool HasSameArchitecture(ModelConfig other) =>
        (Dim, HiddenDim, NLayers, NHeads, NKvHeads, VocabSize, TiedEmbeddings)
        == (other.Dim, other.HiddenDim, other.NLayers, other.NHeads, other.NKvHeads, other.VocabSize, other.TiedEmbeddings);

    /// <summary>Throws <see cref="ArgumentException"/> naming the offending field when the configuration is inconsistent.</summary>
    public void Validate()
    {
        if (Dim <= 0 || HiddenDim <= 0 || NLayers <= 0 || NHeads <= 0 || NKvHeads <= 0 || VocabSize <= 0 || MaxSeqLen <= 0)
            throw new ArgumentException($"model config has a non-positive size: {this}");
        if (Dim % NHeads != 0)
            throw new ArgumentException($"dim ({Dim}) must be divisible by n_heads ({NHeads})");
        if (NHeads % NKvHeads != 0)
            throw new ArgumentException($"n_heads ({NHeads}) must be divisible by n_kv_heads ({NKvHeads})");
        if (HeadSize % 2 != 0)
            throw new ArgumentException($"head size ({HeadSize}) must be even for rotary embeddings");
    }
}
