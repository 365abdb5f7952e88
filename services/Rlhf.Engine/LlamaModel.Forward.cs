using System.Numerics.Tensors;
using Rlhf.Engine.Internal;

namespace Rlhf.Engine;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// Scores a batch of variable-length sequences in one packed pass (every linear layer is one GEMM over all tokens;
    /// attention runs per sequence). Per response token t of a sequence with prompt length P:
    /// <c>logprobs[t] = log softmax(logits[P+t−1] / τ)[response_ids[t]]</c>, optionally the entropy of that tempered
    /// distribution and <c>values[t] = s[P+t−1]</c>; always <c>last_scalar = s[P+R−1]</c>. The LM head runs only on
    /// the rows P−1 … P+R−2 of each sequence.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An empty prompt, a token id outside [0, V), a sequence longer than MaxSeqLen (the message names the sequence
    /// index), or a temperature that is not positive and finite.
    /// </exception>
    public ForwardResult Forward(IReadOnlyList<TokenSequence> batch, ForwardOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        options ??= new ForwardOptions();
        if (!(options.Temperature > 0f) || !float.IsFinite(options.Temperature))
            throw new ArgumentException($"temperature must be positive and finite, got {options.Temperature}", nameof(options));
        var cfg = Config;
        int c = cfg.Dim, h = cfg.HiddenDim, kv = cfg.KvDim, vocab = cfg.VocabSize, nh = cfg.NHeads, threads = Options.Threads;
        var lm = options.ComputeLogprobs || options.ComputeEntropy;

        // 1. validate and pack: rows of every sequence are contiguous in (N, ·) matrices
        var seqs = batch.ToArray();
        var segs = new Segment[seqs.Length];
        var logitOffsets = new int[seqs.Length];
        int n = 0, m = 0;
        long a = 0;
        for (var s = 0; s < seqs.Length; s++)
        {
            var seq = seqs[s] ?? throw new ArgumentException($"sequence {s} is null", nameof(batch));
            ValidateSequence(seq, s);
            segs[s] = new Segment(n, seq.Length, a);
            logitOffsets[s] = m;
            n += seq.Length;
            a += (long)nh * seq.Length * seq.Length;
            if (lm)
                m += seq.ResponseIds.Length;
        }
        var tokens = new int[n];
        var positions = new int[n];
        for (var s = 0; s < seqs.Length; s++)
        {
            seqs[s].PromptIds.CopyTo(tokens, segs[s].Start);
            seqs[s].ResponseIds.CopyTo(tokens, segs[s].Start + seqs[s].PromptIds.Length);
            for (var i = 0; i < segs[s].Length; i++)
                positions[segs[s].Start + i] = i;
        }

        var al = new ActivationLayout(cfg, n, m, a, options.KeepForBackward);
        var buffer = RentActivations(al.Total);
        var act = Aligned.Up(Pointer(buffer));
        var p = _p;
        _gemm.SetThreads(threads);

        // 2. the transformer blocks
        fixed (int* tok = tokens, pos = positions)
        fixed (float* cos = _ropeCos, sin = _ropeSin)
        {
            Kernels.EncoderForward(act + al.Encoded, tok, p + _layout.Embed, n, c);
            for (var l = 0; l < cfg.NLayers; l++)
            {
                var slot = options.KeepForBackward ? l : 0;
                var resIn = l == 0 ? act + al.Encoded : act + al.Res3 + (long)(options.KeepForBackward ? l - 1 : 0) * n * c;
                float* ln1 = act + al.Ln1 + (long)slot * n * c, ln1Rstd = act + al.Ln1Rstd + (long)slot * n;
                float* q = act + al.Q + (long)slot * n * c, k = act + al.K + (long)slot * n * kv, v = act + al.V + (long)slot * n * kv;
                float* att = act + al.Att + slot * al.A, atty = act + al.Atty + (long)slot * n * c;
                float* res2 = act + al.Res2 + (long)slot * n * c, res3 = act + al.Res3 + (long)slot * n * c;
                float* ln2 = act + al.Ln2 + (long)slot * n * c, ln2Rstd = act + al.Ln2Rstd + (long)slot * n;
                float* gate = act + al.Gate + (long)slot * n * h, up = act + al.Up + (long)slot * n * h;
                float* sw = act + al.Swiglu + (long)slot * n * h;

                Kernels.RmsNormForward(ln1, ln1Rstd, resIn, p + _layout.RmsAtt + (long)l * c, n, c, cfg.NormEps, threads);
                Linear(q, ln1, p + _layout.Wq + (long)l * c * c, n, c, c);
                Linear(k, ln1, p + _layout.Wk + (long)l * kv * c, n, kv, c);
                Linear(v, ln1, p + _layout.Wv + (long)l * kv * c, n, kv, c);
                Kernels.Rope(q, pos, cos, sin, n, c, nh, cfg.HeadSize, inverse: false);
                Kernels.Rope(k, pos, cos, sin, n, kv, cfg.NKvHeads, cfg.HeadSize, inverse: false);
                Kernels.AttentionForward(atty, att, q, k, v, segs, nh, cfg.NKvHeads, cfg.HeadSize, threads);
                Buffer.MemoryCopy(resIn, res2, (long)n * c * sizeof(float), (long)n * c * sizeof(float));
                Linear(res2, atty, p + _layout.Wo + (long)l * c * c, n, c, c, beta: 1f);

                Kernels.RmsNormForward(ln2, ln2Rstd, res2, p + _layout.RmsFfn + (long)l * c, n, c, cfg.NormEps, threads);
                Linear(gate, ln2, p + _layout.W1 + (long)l * h * c, n, h, c);
                Linear(up, ln2, p + _layout.W3 + (long)l * h * c, n, h, c);
                Kernels.SwiGluForward(sw, gate, up, (long)n * h);
                Buffer.MemoryCopy(res2, res3, (long)n * c * sizeof(float), (long)n * c * sizeof(float));
                Linear(res3, sw, p + _layout.W2 + (long)l * c * h, n, c, h, beta: 1f);
            }
        }

        // 3. final norm, scalar head, LM head on the response-scoring rows only
        var last = act + al.Res3 + (long)(al.Lk - 1) * n * c;
        float* lnf = act + al.Lnf, scalar = act + al.Scalar;
        Kernels.RmsNormForward(lnf, act + al.LnfRstd, last, p + _layout.RmsFinal, n, c, cfg.NormEps, threads);
        var scoreW = new ReadOnlySpan<float>(p + _layout.ScoreW, c);
        var scoreB = p[_layout.ScoreB];
        for (var r = 0; r < n; r++)
            scalar[r] = TensorPrimitives.Dot(new ReadOnlySpan<float>(lnf + (long)r * c, c), scoreW) + scoreB;

        var logprobs = new float[seqs.Length][];
        var entropy = options.ComputeEntropy ? new float[seqs.Length][] : null;
        var values = options.ComputeValues ? new float[seqs.Length][] : null;
        var lastScalar = new float[seqs.Length];
        if (m > 0)
        {
            for (var s = 0; s < seqs.Length; s++)
            {
                var src = lnf + (long)(segs[s].Start + seqs[s].PromptIds.Length - 1) * c;
                var dst = act + al.LnfRows + (long)logitOffsets[s] * c;
                var rows = (long)seqs[s].ResponseIds.Length * c * sizeof(float);
                Buffer.MemoryCopy(src, dst, rows, rows);
            }
            Linear(act + al.Logits, act + al.LnfRows, p + _layout.LmHead, m, vocab, c);
            var targets = new int[m];
            for (var s = 0; s < seqs.Length; s++)
                seqs[s].ResponseIds.CopyTo(targets, logitOffsets[s]);
            var invT = 1f / options.Temperature;
            float* logits = act + al.Logits, lse = act + al.Lse, ent = act + al.Entropy;
            Par.ForChunks(m, threads, 16, (r0, r1) =>
            {
                var eArray = GC.AllocateUninitializedArray<float>(vocab + Aligned.Padding, pinned: true);
                var e = eArray.AsSpan(Aligned.Offset(eArray), vocab);
                for (var r = r0; r < r1; r++)
                {
                    var z = new Span<float>(logits + (long)r * vocab, vocab);
                    if (invT != 1f)
                        TensorPrimitives.Multiply(z, invT, z);
                    var max = TensorPrimitives.Max(z);
                    var sum = Kernels.ExpShifted(z, max, e);
                    lse[r] = max + MathF.Log(sum);
                    ent[r] = lse[r] - TensorPrimitives.Dot(e, z) / sum;
                }
            });
            for (var s = 0; s < seqs.Length; s++)
            {
                var rlen = seqs[s].ResponseIds.Length;
                logprobs[s] = new float[rlen];
                if (entropy is not null)
                    entropy[s] = new float[rlen];
                for (var t = 0; t < rlen; t++)
                {
                    var r = logitOffsets[s] + t;
                    logprobs[s][t] = logits[(long)r * vocab + targets[r]] - lse[r];
                    if (entropy is not null)
                        entropy[s][t] = ent[r];
                }
            }
        }
        for (var s = 0; s < seqs.Length; s++)
        {
            logprobs[s] ??= [];
            int start = segs[s].Start, plen = seqs[s].PromptIds.Length, rlen = seqs[s].ResponseIds.Length;
            lastScalar[s] = scalar[start + plen + rlen - 1];
            if (values is not null)
            {
                values[s] = new float[rlen];
                for (var t = 0; t < rlen; t++)
                    values[s][t] = scalar[start + plen - 1 + t];
            }
        }

        ForwardState? state = null;
        if (options.KeepForBackward)
            state = new ForwardState(this, buffer, al, segs, tokens, positions, seqs, logitOffsets, options);
        else
            ReturnActivations(buffer);
        return new ForwardResult { Logprobs = logprobs, Entropy = entropy, Values = values, LastScalar = lastScalar, State = state };
    }

    private void ValidateSequence(TokenSequence seq, int index)
    {
        if (seq.PromptIds is null || seq.PromptIds.Length == 0)
            throw new ArgumentException($"sequence {index}: the prompt must hold at least one token (BOS)");
        if (seq.ResponseIds is null)
            throw new ArgumentException($"sequence {index}: response ids are null");
        if (seq.Length > Config.MaxSeqLen)
            throw new ArgumentException($"sequence {index}: length {seq.Length} exceeds max_seq_len {Config.MaxSeqLen}");
        ValidateTokens(seq.PromptIds, index, "prompt");
        ValidateTokens(seq.ResponseIds, index, "response");
    }

    private void ValidateTokens(int[] ids, int index, string what)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)Config.VocabSize)
                throw new ArgumentException(
                    $"sequence {index}: {what} token {i} has id {ids[i]}, outside [0, {Config.VocabSize})");
        }
    }
}
