using System.Numerics.Tensors;
using Rlhf.Engine.Internal;

namespace Rlhf.Engine;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// Back-propagates per-token output gradients through the kept forward pass and accumulates (+=) into every
    /// parameter gradient (<see cref="Gradients"/>), then releases <paramref name="forward"/>. Gradients are exact,
    /// through the temperature (∂/∂z = (∂/∂(z/τ)) / τ) and the entropy (∂H/∂zⱼ′ = −pⱼ (log pⱼ + H)).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The state belongs to another model or was released, or a gradient array does not match the forward batch or
    /// refers to an output that forward did not compute.
    /// </exception>
    public void Backward(IForwardState forward, OutputGradients grads)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(grads);
        if (forward is not ForwardState state || !ReferenceEquals(state.Owner, this))
            throw new ArgumentException("forward state belongs to another model", nameof(forward));
        var buffer = state.Buffer ?? throw new ArgumentException("forward state was already released", nameof(forward));
        var opt = state.Options;
        var lm = opt.ComputeLogprobs || opt.ComputeEntropy;
        CheckGrads(state, grads.Logprobs, "logprobs", lm);
        CheckGrads(state, grads.Entropy, "entropy", opt.ComputeEntropy);
        CheckGrads(state, grads.Values, "values", opt.ComputeValues);
        if (grads.LastScalar is not null && grads.LastScalar.Length != state.SequenceCount)
            throw new ArgumentException($"last_scalar gradient has {grads.LastScalar.Length} entries for {state.SequenceCount} sequences");

        var cfg = Config;
        var al = state.Layout;
        int n = al.N, m = al.M, c = cfg.Dim, h = cfg.HiddenDim, kv = cfg.KvDim, vocab = cfg.VocabSize, threads = Options.Threads;
        var act = Aligned.Up(Pointer(buffer));
        float* p = _p, g = _g;
        var segs = state.Segments;
        var seqs = state.Sequences;
        _gemm.SetThreads(threads);

        // scratch: dres, dln, datty, dq (N, C); dk, dv (N, KvDim); dgate, dup, dsw (N, H); dlnfRows (M, C); norm (C)
        var nc = (long)n * c;
        var scratch = RentScratch(4 * nc + 2L * n * kv + 3L * n * h + (long)m * c + c);
        var sp = Aligned.Up(Pointer(scratch));
        float* dres = sp, dln = dres + nc, datty = dln + nc, dq = datty + nc, dk = dq + nc, dv = dk + (long)n * kv;
        float* dgate = dv + (long)n * kv, dup = dgate + (long)n * h, dsw = dup + (long)n * h, dlnfRows = dsw + (long)n * h;
        float* normScratch = dlnfRows + (long)m * c;
        new Span<float>(dres, (int)nc).Clear();
        new Span<float>(dln, (int)nc).Clear();

        float* lnf = act + al.Lnf;
        // 1. LM head: d(z/τ)ⱼ = gₗₚ (δⱼᵧ − pⱼ) − gₕ pⱼ (log pⱼ + H), then ÷ τ; in place over the kept logits
        if (m > 0)
        {
            var gLp = new float[m];
            var gH = new float[m];
            var targets = new int[m];
            for (var s = 0; s < seqs.Length; s++)
            {
                var off = state.LogitRowOffsets[s];
                seqs[s].ResponseIds.CopyTo(targets, off);
                grads.Logprobs?[s].CopyTo(gLp, off);
                grads.Entropy?[s].CopyTo(gH, off);
            }
            var invT = 1f / opt.Temperature;
            float* logits = act + al.Logits, lse = act + al.Lse, ent = act + al.Entropy;
            Par.ForChunks(m, threads, 16, (r0, r1) =>
            {
                var probArray = GC.AllocateUninitializedArray<float>(vocab + Aligned.Padding, pinned: true);
                var prob = probArray.AsSpan(Aligned.Offset(probArray), vocab);
                for (var r = r0; r < r1; r++)
                {
                    var z = new Span<float>(logits + (long)r * vocab, vocab);
                    TensorPrimitives.Subtract(z, lse[r], z);                 // log p
                    TensorPrimitives.Exp(z, prob);                           // p
                    TensorPrimitives.Add(z, ent[r], z);                      // log p + H
                    TensorPrimitives.Multiply(z, gH[r], z);                  // gₕ (log p + H)
                    TensorPrimitives.Add(z, gLp[r], z);                      // + gₗₚ
                    TensorPrimitives.Multiply(z, prob, z);
                    TensorPrimitives.Multiply(z, -invT, z);
                    z[targets[r]] += gLp[r] * invT;
                }
            });
            var lnfRows = act + al.LnfRows;
            _gemm.Sgemm(false, false, m, c, vocab, 1f, logits, vocab, p + _layout.LmHead, c, 0f, dlnfRows, c);
            _gemm.Sgemm(true, false, vocab, c, m, 1f, logits, vocab, lnfRows, c, 1f, g + _layout.LmHead, c);
            for (var s = 0; s < seqs.Length; s++)
            {
                var dst = dln + (long)(segs[s].Start + seqs[s].PromptIds.Length - 1) * c;
                var src = dlnfRows + (long)state.LogitRowOffsets[s] * c;
                var len = seqs[s].ResponseIds.Length * c;
                TensorPrimitives.Add(new ReadOnlySpan<float>(dst, len), new ReadOnlySpan<float>(src, len), new Span<float>(dst, len));
            }
        }

        // 2. scalar head s = w · h + b on the value rows and the last row
        var scalarGrads = new List<(int Row, float Grad)>();
        for (var s = 0; s < seqs.Length; s++)
        {
            int start = segs[s].Start, plen = seqs[s].PromptIds.Length, rlen = seqs[s].ResponseIds.Length;
            if (grads.Values is not null)
                for (var t = 0; t < rlen; t++)
                    scalarGrads.Add((start + plen - 1 + t, grads.Values[s][t]));
            if (grads.LastScalar is not null)
                scalarGrads.Add((start + plen + rlen - 1, grads.LastScalar[s]));
        }
        var scoreW = new ReadOnlySpan<float>(p + _layout.ScoreW, c);
        var dScoreW = new Span<float>(g + _layout.ScoreW, c);
        foreach (var (row, gs) in scalarGrads)
        {
            if (gs == 0f)
                continue;
            var dh = new Span<float>(dln + (long)row * c, c);
            TensorPrimitives.MultiplyAdd(scoreW, gs, dh, dh);
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(lnf + (long)row * c, c), gs, dScoreW, dScoreW);
            g[_layout.ScoreB] += gs;
        }

        // 3. final norm
        Kernels.RmsNormBackward(dres, g + _layout.RmsFinal, dln, act + al.Res3 + (long)(cfg.NLayers - 1) * nc,
            p + _layout.RmsFinal, act + al.LnfRstd, n, c, normScratch);

        // 4. the blocks, last to first; dres is ∂loss/∂residual stream
        fixed (int* pos = state.Positions, tok = state.Tokens)
        fixed (float* cos = _ropeCos, sin = _ropeSin)
        {
            for (var l = cfg.NLayers - 1; l >= 0; l--)
            {
                var resIn = l == 0 ? act + al.Encoded : act + al.Res3 + (l - 1) * nc;
                float* ln1 = act + al.Ln1 + l * nc, ln1Rstd = act + al.Ln1Rstd + (long)l * n;
                float* q = act + al.Q + l * nc, k = act + al.K + (long)l * n * kv, v = act + al.V + (long)l * n * kv;
                float* att = act + al.Att + l * al.A, atty = act + al.Atty + l * nc, res2 = act + al.Res2 + l * nc;
                float* ln2 = act + al.Ln2 + l * nc, ln2Rstd = act + al.Ln2Rstd + (long)l * n;
                float* gate = act + al.Gate + (long)l * n * h, up = act + al.Up + (long)l * n * h, sw = act + al.Swiglu + (long)l * n * h;

                // MLP: res3 = res2 + swiglu(ln2 W1ᵀ, ln2 W3ᵀ) W2ᵀ
                LinearBackward(dsw, g + _layout.W2 + (long)l * c * h, dres, sw, p + _layout.W2 + (long)l * c * h, n, c, h, 0f);
                Kernels.SwiGluBackward(dgate, dup, dsw, gate, up, (long)n * h);
                LinearBackward(dln, g + _layout.W1 + (long)l * h * c, dgate, ln2, p + _layout.W1 + (long)l * h * c, n, h, c, 0f);
                LinearBackward(dln, g + _layout.W3 + (long)l * h * c, dup, ln2, p + _layout.W3 + (long)l * h * c, n, h, c, 1f);
                Kernels.RmsNormBackward(dres, g + _layout.RmsFfn + (long)l * c, dln, res2, p + _layout.RmsFfn + (long)l * c,
                    ln2Rstd, n, c, normScratch);

                // attention: res2 = resIn + attention(rope(ln1 Wqᵀ), rope(ln1 Wkᵀ), ln1 Wvᵀ) Woᵀ
                LinearBackward(datty, g + _layout.Wo + (long)l * c * c, dres, atty, p + _layout.Wo + (long)l * c * c, n, c, c, 0f);
                new Span<float>(dq, (int)nc).Clear();
                new Span<float>(dk, n * kv).Clear();
                new Span<float>(dv, n * kv).Clear();
                Kernels.AttentionBackward(dq, dk, dv, datty, q, k, v, att, segs, cfg.NHeads, cfg.NKvHeads, cfg.HeadSize, threads);
                Kernels.Rope(dq, pos, cos, sin, n, c, cfg.NHeads, cfg.HeadSize, inverse: true);
                Kernels.Rope(dk, pos, cos, sin, n, kv, cfg.NKvHeads, cfg.HeadSize, inverse: true);
                LinearBackward(dln, g + _layout.Wq + (long)l * c * c, dq, ln1, p + _layout.Wq + (long)l * c * c, n, c, c, 0f);
                LinearBackward(dln, g + _layout.Wk + (long)l * kv * c, dk, ln1, p + _layout.Wk + (long)l * kv * c, n, kv, c, 1f);
                LinearBackward(dln, g + _layout.Wv + (long)l * kv * c, dv, ln1, p + _layout.Wv + (long)l * kv * c, n, kv, c, 1f);
                Kernels.RmsNormBackward(dres, g + _layout.RmsAtt + (long)l * c, dln, resIn, p + _layout.RmsAtt + (long)l * c,
                    ln1Rstd, n, c, normScratch);
            }
            // 5. token embedding
            Kernels.EncoderBackward(g + _layout.Embed, dres, tok, n, c);
        }
        state.Release();
    }

    private static void CheckGrads(ForwardState state, float[][]? grads, string name, bool computed)
    {
        if (grads is null)
            return;
        if (!computed)
            throw new ArgumentException($"gradient for {name} given, but the forward pass did not compute {name}");
        if (grads.Length != state.SequenceCount)
            throw new ArgumentException($"{name} gradient has {grads.Length} sequences, the forward batch {state.SequenceCount}");
        for (var s = 0; s < grads.Length; s++)
        {
            if (grads[s] is null || grads[s].Length != state.Sequences[s].ResponseIds.Length)
                throw new ArgumentException(
                    $"sequence {s}: {name} gradient has {grads[s]?.Length ?? 0} entries, the response {state.Sequences[s].ResponseIds.Length} tokens");
        }
    }
}
