namespace Rlhf.Engine.Internal;

/// <summary>
/// Offsets of the forward activations of one packed batch inside one flat allocation. Without KeepForBackward every
/// per-layer buffer has one slot that all layers reuse (Lk = 1); with it Lk = L.
/// </summary>
internal sealed class ActivationLayout
{
    public readonly int N, M, Lk;
    public readonly long A;          // attention entries of one layer: Σ NH · T²
    public readonly long Encoded;    // (N, C)
    public readonly long Ln1;        // (Lk, N, C)
    public readonly long Ln1Rstd;    // (Lk, N)
    public readonly long Q;          // (Lk, N, C)      after RoPE
    public readonly long K;          // (Lk, N, KvDim)  after RoPE
    public readonly long V;          // (Lk, N, KvDim)
    public readonly long Att;        // (Lk, A)         softmax probabilities, lower triangles
    public readonly long Atty;       // (Lk, N, C)      attention output before o_proj
    public readonly long Res2;       // (Lk, N, C)      residual after attention
    public readonly long Ln2;        // (Lk, N, C)
    public readonly long Ln2Rstd;    // (Lk, N)
    public readonly long Gate;       // (Lk, N, H)      gate_proj output (pre-activation)
    public readonly long Up;         // (Lk, N, H)
    public readonly long Swiglu;     // (Lk, N, H)      silu(gate) ⊙ up
    public readonly long Res3;       // (Lk, N, C)      residual after the MLP (the next layer's input)
    public readonly long Lnf;        // (N, C)          after the final norm
    public readonly long LnfRstd;    // (N)
    public readonly long LnfRows;    // (M, C)          final-norm rows that get logits
    public readonly long Logits;     // (M, V)          tempered logits z/τ (gradients in place during backward)
    public readonly long Lse;        // (M)             log Σ exp(z/τ)
    public readonly long Entropy;    // (M)
    public readonly long Scalar;     // (N)             scalar head s
    public readonly long Total;

    public ActivationLayout(ModelConfig cfg, int n, int m, long a, bool keep)
    {
        N = n; M = m; A = a; Lk = keep ? cfg.NLayers : 1;
        long c = cfg.Dim, h = cfg.HiddenDim, kv = cfg.KvDim, lk = Lk, o = 0;
        long Take(long size) { var at = o; o += Aligned.RoundUp(size); return at; }
        Encoded = Take(n * c);
        Ln1 = Take(lk * n * c);
        Ln1Rstd = Take(lk * n);
        Q = Take(lk * n * c);
        K = Take(lk * n * kv);
        V = Take(lk * n * kv);
        Att = Take(lk * a);
        Atty = Take(lk * n * c);
        Res2 = Take(lk * n * c);
        Ln2 = Take(lk * n * c);
        Ln2Rstd = Take(lk * n);
        Gate = Take(lk * n * h);
        Up = Take(lk * n * h);
        Swiglu = Take(lk * n * h);
        Res3 = Take(lk * n * c);
        Lnf = Take(n * c);
        LnfRstd = Take(n);
        LnfRows = Take(m * c);
        Logits = Take(m * (long)cfg.VocabSize);
        Lse = Take(m);
        Entropy = Take(m);
        Scalar = Take(n);
        Total = o;
        if (Total > Array.MaxLength)
            throw new ArgumentException($"batch needs {Total} activation floats, more than one array holds; split the batch");
    }
}
