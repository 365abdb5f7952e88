using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Rlhf.Engine.Internal;

// Shape legend for every buffer comment in the engine:
//   N  rows of a packed batch (Σ over sequences of their token counts; B × T for a rectangular batch)
//   B  batch (sequences)      T  tokens of one sequence      C  channels (dim)      H  SwiGLU hidden width
//   V  vocabulary             L  layers                      NH query heads         NKV key/value heads
//   HS head size (C / NH)     KvDim = NKV · HS                M  rows that get logits (Σ response lengths)

/// <summary>
/// Forward and backward kernels in the style of llm.c: outputs first, then what the backward pass needs, then inputs,
/// weights and sizes; backward kernels accumulate (+=) into their gradient outputs.
/// </summary>
internal static unsafe class Kernels
{
    /// <summary>
    /// e[i] = exp(z[i] − shift) for all i (z, e of one length, not overlapping); returns Σ e: the numerator and
    /// denominator of a softmax with shift = max z (Bridle 1990).
    /// </summary>
    public static float ExpShifted(ReadOnlySpan<float> z, float shift, Span<float> e)
    {
        var n = z.Length;
        if (!Vector512.IsHardwareAccelerated || n < 16)
        {
            TensorPrimitives.Subtract(z, shift, e);
            TensorPrimitives.Exp(e, e);
            return TensorPrimitives.Sum(e);
        }
        if (e.Length < n)
            throw new ArgumentException("e is shorter than z", nameof(e));
        // one pass (the three-call form above reads and writes e three times); the last vector overlaps the one before
        // it when n is not a multiple of 16 and adds only its new lanes
        fixed (float* zp = z, ep = e)
        {
            var s = Vector512.Create(shift);
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            var i = 0;
            for (; i + 32 <= n; i += 32)
            {
                var x0 = Vector512.Exp(Vector512.Load(zp + i) - s);
                var x1 = Vector512.Exp(Vector512.Load(zp + i + 16) - s);
                x0.Store(ep + i);
                x1.Store(ep + i + 16);
                acc0 += x0;
                acc1 += x1;
            }
            if (i + 16 <= n)
            {
                var x = Vector512.Exp(Vector512.Load(zp + i) - s);
                x.Store(ep + i);
                acc0 += x;
                i += 16;
            }
            if (i < n)
            {
                var x = Vector512.Exp(Vector512.Load(zp + n - 16) - s);
                x.Store(ep + n - 16);
                var fresh = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(16 - (n - i))).AsSingle();
                acc1 += Vector512.ConditionalSelect(fresh, x, Vector512<float>.Zero);
            }
            return Vector512.Sum(acc0 + acc1);
        }
    }

    /// <summary>out[n] = embed[tokens[n]].</summary>
    public static void EncoderForward(float* output, int* tokens, float* embed, int n, int c)
    {
        for (var i = 0; i < n; i++)
            new ReadOnlySpan<float>(embed + (long)tokens[i] * c, c).CopyTo(new Span<float>(output + (long)i * c, c));
    }

    /// <summary>dembed[tokens[n]] += dout[n], in row order (deterministic).</summary>
    public static void EncoderBackward(float* dembed, float* dout, int* tokens, int n, int c)
    {
        for (var i = 0; i < n; i++)
        {
            var d = new Span<float>(dembed + (long)tokens[i] * c, c);
            TensorPrimitives.Add(d, new ReadOnlySpan<float>(dout + (long)i * c, c), d);
        }
    }

    /// <summary>
    /// RMSNorm (Zhang &amp; Sennrich 2019): rstd = 1/sqrt(mean(x²) + ε), out = x · rstd · weight.
    /// out (N, C), rstd (N), inp (N, C), weight (C).
    /// </summary>
    public static void RmsNormForward(float* output, float* rstd, float* inp, float* weight, int n, int c, float eps, int threads)
    {
        Par.ForChunks(n, threads, 64, (r0, r1) =>
        {
            for (var r = r0; r < r1; r++)
                rstd[r] = RmsNormRow(output + (long)r * c, inp + (long)r * c, weight, c, eps);
        });
    }

    /// <summary>One row of <see cref="RmsNormForward"/>: out (C) = x (C) · rstd · weight (C); returns rstd. out may not
    /// alias x.</summary>
    public static float RmsNormRow(float* output, float* x, float* weight, int c, float eps)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            var xs = new ReadOnlySpan<float>(x, c);
            var o = new Span<float>(output, c);
            var rs = 1f / MathF.Sqrt(TensorPrimitives.Dot(xs, xs) / c + eps);
            TensorPrimitives.Multiply(xs, rs, o);
            TensorPrimitives.Multiply(o, new ReadOnlySpan<float>(weight, c), o);
            return rs;
        }
        var acc = Vector512<float>.Zero;
        var i = 0;
        for (; i + 16 <= c; i += 16)
        {
            var v = Vector512.Load(x + i);
            acc = Vector512.FusedMultiplyAdd(v, v, acc);
        }
        var ss = Vector512.Sum(acc);
        for (var t = i; t < c; t++)
            ss += x[t] * x[t];
        var s = 1f / MathF.Sqrt(ss / c + eps);
        var vs = Vector512.Create(s);
        for (i = 0; i + 16 <= c; i += 16)
            (Vector512.Load(x + i) * vs * Vector512.Load(weight + i)).Store(output + i);
        for (; i < c; i++)
            output[i] = x[i] * s * weight[i];
        return s;
    }

    /// <summary>
    /// RMSNorm backward. With g = dout ⊙ weight: dinp += rstd · g − x · rstd³ · (g · x) / C; dweight += dout ⊙ x · rstd.
    /// dinp (N, C), dweight (C), dout (N, C), inp (N, C), weight (C), rstd (N). dweight is reduced in row order.
    /// </summary>
    public static void RmsNormBackward(float* dinp, float* dweight, float* dout, float* inp, float* weight, float* rstd,
        int n, int c, float* scratch)
    {
        var w = new ReadOnlySpan<float>(weight, c);
        var dw = new Span<float>(dweight, c);
        var g = new Span<float>(scratch, c);
        for (var r = 0; r < n; r++)
        {
            var x = new ReadOnlySpan<float>(inp + (long)r * c, c);
            var dy = new ReadOnlySpan<float>(dout + (long)r * c, c);
            var dx = new Span<float>(dinp + (long)r * c, c);
            var s = rstd[r];
            TensorPrimitives.Multiply(dy, x, g);
            TensorPrimitives.MultiplyAdd(g, s, dw, dw);
            TensorPrimitives.Multiply(dy, w, g);
            var gx = TensorPrimitives.Dot(g, x);
            TensorPrimitives.MultiplyAdd(g, s, dx, dx);
            TensorPrimitives.MultiplyAdd(x, -s * s * s * gx / c, dx, dx);
        }
    }

    /// <summary>
    /// Rotary position embedding (Su et al. 2021) in llama2.c's layout: within each head, the adjacent pair
    /// (2i, 2i+1) is rotated by angle pos · θ^(−2i/HS). x (N, rowStride) rotated in place for heads 0..nHeads−1;
    /// cos, sin (MaxSeqLen, HS/2); positions (N). <paramref name="inverse"/> rotates by −angle (the backward pass).
    /// </summary>
    public static void Rope(float* x, int* positions, float* cos, float* sin, int n, int rowStride, int nHeads, int hs, bool inverse)
    {
        var half = hs / 2;
        var sign = inverse ? -1f : 1f;
        for (var r = 0; r < n; r++)
        {
            var cr = cos + (long)positions[r] * half;
            var sr = sin + (long)positions[r] * half;
            var row = x + (long)r * rowStride;
            for (var h = 0; h < nHeads; h++)
            {
                var v = row + h * hs;
                for (var i = 0; i < half; i++)
                {
                    float c = cr[i], s = sign * sr[i];
                    float x0 = v[2 * i], x1 = v[2 * i + 1];
                    v[2 * i] = x0 * c - x1 * s;
                    v[2 * i + 1] = x0 * s + x1 * c;
                }
            }
        }
    }

    /// <summary>SwiGLU (Shazeer 2020): out = silu(gate) ⊙ up, silu(g) = g · σ(g). All (count); out may alias gate.</summary>
    public static void SwiGluForward(float* output, float* gate, float* up, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                var g = Vector512.Load(gate + i);
                (g * Vector512.Load(up + i) / (Vector512<float>.One + Vector512.Exp(-g))).Store(output + i);
            }
            for (; i < count; i++)
                output[i] = gate[i] * up[i] / (1f + MathF.Exp(-gate[i]));
            return;
        }
        Span<float> sigBuffer = stackalloc float[Chunk];
        for (long at = 0; at < count; at += Chunk)
        {
            var len = (int)Math.Min(Chunk, count - at);
            var g = new ReadOnlySpan<float>(gate + at, len);
            var sig = sigBuffer[..len];
            TensorPrimitives.Sigmoid(g, sig);
            var o = new Span<float>(output + at, len);
            TensorPrimitives.Multiply(g, sig, sig);
            TensorPrimitives.Multiply(sig, new ReadOnlySpan<float>(up + at, len), o);
        }
    }

    /// <summary>SwiGLU backward: dgate = dout · up · σ(g)(1 + g − silu(g)), dup = dout · silu(g) (overwrites).</summary>
    public static void SwiGluBackward(float* dgate, float* dup, float* dout, float* gate, float* up, long count)
    {
        Span<float> sigBuffer = stackalloc float[Chunk];
        Span<float> siluBuffer = stackalloc float[Chunk];
        for (long at = 0; at < count; at += Chunk)
        {
            var len = (int)Math.Min(Chunk, count - at);
            var g = new ReadOnlySpan<float>(gate + at, len);
            var dy = new ReadOnlySpan<float>(dout + at, len);
            var dg = new Span<float>(dgate + at, len);
            var du = new Span<float>(dup + at, len);
            var sig = sigBuffer[..len];
            var silu = siluBuffer[..len];
            TensorPrimitives.Sigmoid(g, sig);
            TensorPrimitives.Multiply(g, sig, silu);
            TensorPrimitives.Multiply(dy, silu, du);
            TensorPrimitives.Subtract(g, silu, silu);          // g − silu
            TensorPrimitives.Add(silu, 1f, silu);              // 1 + g − silu
            TensorPrimitives.Multiply(silu, sig, silu);
            TensorPrimitives.Multiply(silu, new ReadOnlySpan<float>(up + at, len), silu);
            TensorPrimitives.Multiply(silu, dy, dg);
        }
    }

    private const int Chunk = 1024;

    /// <summary>
    /// Causal grouped-query attention (Vaswani et al. 2017; Ainslie et al. 2023) per sequence and head:
    /// att = softmax(q kᵀ / √HS) over keys j ≤ i, out = att v. Query head h reads key/value head h / (NH / NKV).
    /// out (N, C), att (per segment (NH, T, T), lower triangles written), q (N, C), k, v (N, KvDim).
    /// Parallel over (sequence, kv head); keys and values are transposed to (HS, T) so that every inner loop is a
    /// vector operation over key positions (head sizes are small).
    /// </summary>
    public static void AttentionForward(float* output, float* att, float* q, float* k, float* v, Segment[] segs,
        int nh, int nkv, int hs, int threads)
    {
        int c = nh * hs, kvDim = nkv * hs, group = nh / nkv;
        var scale = 1f / MathF.Sqrt(hs);
        Par.For(segs.Length * nkv, threads, item =>
        {
            var seg = segs[item / nkv];
            var kvh = item % nkv;
            var t = seg.Length;
            var kvOff = kvh * hs;
            var rented = ArrayPool<float>.Shared.Rent(2 * hs * t + Aligned.Padding);
            fixed (float* raw = rented)
            {
                var kt = Aligned.Up(raw);
                var vt = kt + hs * t;  // kt, vt (HS, T)
                Transpose(kt, k + (long)seg.Start * kvDim + kvOff, t, hs, kvDim);
                Transpose(vt, v + (long)seg.Start * kvDim + kvOff, t, hs, kvDim);
                for (var h = kvh * group; h < (kvh + 1) * group; h++)
                {
                    for (var i = 0; i < t; i++)
                    {
                        var qi = q + (long)(seg.Start + i) * c + h * hs;
                        var row = new Span<float>(att + seg.AttOffset + ((long)h * t + i) * t, i + 1);
                        row.Clear();
                        for (var d = 0; d < hs; d++)
                            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(kt + d * t, i + 1), qi[d] * scale, row, row);
                        var max = TensorPrimitives.Max(row);
                        TensorPrimitives.Subtract(row, max, row);
                        TensorPrimitives.Exp(row, row);
                        TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
                        var o = output + (long)(seg.Start + i) * c + h * hs;
                        for (var d = 0; d < hs; d++)
                            o[d] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(vt + d * t, i + 1));
                    }
                }
            }
            ArrayPool<float>.Shared.Return(rented);
        });
    }

    /// <summary>
    /// Attention backward, parallel over (sequence, key/value head) so that the query heads sharing a key/value head
    /// accumulate into dk, dv in a fixed order. dq (N, C), dk, dv (N, KvDim) accumulate (+=); dout (N, C).
    /// With dattⱼ = doutᵢ · vⱼ: dvⱼ += pⱼ doutᵢ, dpreⱼ = pⱼ (dattⱼ − Σₖ pₖ dattₖ) / √HS, dqᵢ += Σⱼ dpreⱼ kⱼ, dkⱼ += dpreⱼ qᵢ.
    /// </summary>
    public static void AttentionBackward(float* dq, float* dk, float* dv, float* dout, float* q, float* k, float* v,
        float* att, Segment[] segs, int nh, int nkv, int hs, int threads)
    {
        int c = nh * hs, kvDim = nkv * hs, group = nh / nkv;
        var scale = 1f / MathF.Sqrt(hs);
        Par.For(segs.Length * nkv, threads, item =>
        {
            var seg = segs[item / nkv];
            var kvh = item % nkv;
            var t = seg.Length;
            var kvOff = kvh * hs;
            var rented = ArrayPool<float>.Shared.Rent(4 * hs * t + t + Aligned.Padding);
            fixed (float* raw = rented)
            {
                var kt = Aligned.Up(raw);
                float* vt = kt + hs * t, dkt = vt + hs * t, dvt = dkt + hs * t, datt = dvt + hs * t; // (HS, T) ×4, (T)
                Transpose(kt, k + (long)seg.Start * kvDim + kvOff, t, hs, kvDim);
                Transpose(vt, v + (long)seg.Start * kvDim + kvOff, t, hs, kvDim);
                new Span<float>(dkt, 2 * hs * t).Clear();
                for (var h = kvh * group; h < (kvh + 1) * group; h++)
                {
                    for (var i = 0; i < t; i++)
                    {
                        var p = new ReadOnlySpan<float>(att + seg.AttOffset + ((long)h * t + i) * t, i + 1);
                        var doi = dout + (long)(seg.Start + i) * c + h * hs;
                        var qi = q + (long)(seg.Start + i) * c + h * hs;
                        var dqi = dq + (long)(seg.Start + i) * c + h * hs;
                        var da = new Span<float>(datt, i + 1);
                        da.Clear();
                        for (var d = 0; d < hs; d++)
                        {
                            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(vt + d * t, i + 1), doi[d], da, da);
                            var dvd = new Span<float>(dvt + d * t, i + 1);
                            TensorPrimitives.MultiplyAdd(p, doi[d], dvd, dvd);
                        }
                        var sum = TensorPrimitives.Dot(p, da);
                        TensorPrimitives.Subtract(da, sum, da);
                        TensorPrimitives.Multiply(da, p, da);
                        TensorPrimitives.Multiply(da, scale, da);          // da = dpre
                        for (var d = 0; d < hs; d++)
                        {
                            dqi[d] += TensorPrimitives.Dot(da, new ReadOnlySpan<float>(kt + d * t, i + 1));
                            var dkd = new Span<float>(dkt + d * t, i + 1);
                            TensorPrimitives.MultiplyAdd(da, qi[d], dkd, dkd);
                        }
                    }
                }
                AddTransposed(dk + (long)seg.Start * kvDim + kvOff, dkt, t, hs, kvDim);
                AddTransposed(dv + (long)seg.Start * kvDim + kvOff, dvt, t, hs, kvDim);
            }
            ArrayPool<float>.Shared.Return(rented);
        });
    }

    /// <summary>dst (cols, rows) = srcᵀ, src rows of <paramref name="cols"/> floats at stride <paramref name="srcStride"/>.</summary>
    public static void Transpose(float* dst, float* src, int rows, int cols, int srcStride)
    {
        for (var r = 0; r < rows; r++)
            for (var d = 0; d < cols; d++)
                dst[d * rows + r] = src[(long)r * srcStride + d];
    }

    /// <summary>dst (rows, cols at stride dstStride) += srcᵀ, src (cols, rows).</summary>
    public static void AddTransposed(float* dst, float* src, int rows, int cols, int dstStride)
    {
        for (var r = 0; r < rows; r++)
            for (var d = 0; d < cols; d++)
                dst[(long)r * dstStride + d] += src[d * rows + r];
    }

}

/// <summary>Kernels of one KV-cache decoding step (one new position per sequence).</summary>
internal static unsafe class DecodeKernels
{
    /// <summary>Cache positions are padded to a multiple of this (one 512-bit vector of floats).</summary>
    public const int PositionBlock = 16;

    /// <summary>
    /// Writes position pos of one sequence into its caches of one layer: keys (NKV, S/16, HS, 16) in blocks of 16
    /// positions, each block transposed so the score loop runs over positions; values (NKV, S, HS) position-major.
    /// k, v (KvDim) are the row's new key (after rotary embedding) and value; S is the padded cache length.
    /// </summary>
    public static void CacheWrite(float* kcache, float* vcache, float* k, float* v, int pos, int nkv, int hs, int stride)
    {
        var inBlock = pos / PositionBlock * hs * PositionBlock + pos % PositionBlock;
        for (var g = 0; g < nkv; g++)
        {
            var head = (long)g * hs * stride;
            float* kc = kcache + head + inBlock, vc = vcache + head + (long)pos * hs;
            for (var d = 0; d < hs; d++)
            {
                kc[d * PositionBlock] = k[g * hs + d];
                vc[d] = v[g * hs + d];
            }
        }
    }

    /// <summary>
    /// Causal self-attention (Vaswani et al. 2017, eq. 1: softmax(q·kᵀ/√HS)·v) of one sequence's new query row against
    /// its cache positions 0..pos, grouped-query (query head h reads key/value head h / (NH / NKV)). output (C) and q (C)
    /// are the row's; kcache, vcache are the sequence's caches of one layer in the layouts of <see cref="CacheWrite"/>;
    /// the stride S is a multiple of <see cref="PositionBlock"/>; scratch holds 2·S floats. Positions past pos are
    /// masked and never read into the result, whatever the cache holds there. For head size 8 (stories260K), the query
    /// heads that share a key/value head are taken two at a time (<see cref="AttentionPair8"/>).
    /// </summary>
    public static void AttentionRow(float* output, float* q, float* kcache, float* vcache, float* scratch, int pos,
        int nh, int nkv, int hs, int stride)
    {
        int group = nh / nkv, n = pos + 1, blocks = (n + PositionBlock - 1) / PositionBlock, last = blocks - 1;
        int blockFloats = hs * PositionBlock;
        var scale = 1f / MathF.Sqrt(hs);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - last * PositionBlock)).AsSingle();
        var negInf = Vector512.Create(float.NegativeInfinity);
        var paired = hs == 8 && group % 2 == 0;
        for (var h = 0; h < nh; h++)
        {
            if (paired)
            {
                var kvHead = (long)(h / group) * hs * stride;
                AttentionPair8(output + h * hs, q + h * hs, kcache + kvHead, vcache + kvHead, scratch, scratch + stride,
                    n, tail, scale);
                h++;
                continue;
            }
            var qh = q + h * hs;
            var head = (long)(h / group) * hs * stride;
            float* kc = kcache + head, vc = vcache + head;

            // scores s[j] = q · k[j] / √HS, 16 positions at a time
            var vmax = negInf;
            for (var blk = 0; blk < blocks; blk++)
            {
                var kb = kc + blk * blockFloats;
                Vector512<float> a0 = Vector512<float>.Zero, a1 = Vector512<float>.Zero;
                var d = 0;
                for (; d + 1 < hs; d += 2)
                {
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(kb + d * PositionBlock), Vector512.Create(qh[d]), a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(kb + (d + 1) * PositionBlock), Vector512.Create(qh[d + 1]), a1);
                }
                if (d < hs)
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(kb + d * PositionBlock), Vector512.Create(qh[d]), a0);
                var sc = (a0 + a1) * scale;
                if (blk == last)
                    sc = Vector512.ConditionalSelect(tail, sc, negInf);
                sc.Store(scratch + blk * PositionBlock);
                vmax = Vector512.Max(vmax, sc);
            }

            // softmax weights, unnormalised; 1 / Σ applied to the output
            var max = Vector512.Create(MaxAcross(vmax));
            var vsum = Vector512<float>.Zero;
            for (var blk = 0; blk < blocks; blk++)
            {
                var e = Vector512.Exp(Vector512.Load(scratch + blk * PositionBlock) - max);
                if (blk == last)
                    e = Vector512.ConditionalSelect(tail, e, Vector512<float>.Zero);
                e.Store(scratch + blk * PositionBlock);
                vsum += e;
            }
            var inv = 1f / Vector512.Sum(vsum);

            // o = Σ_j p[j] · v[j]
            var o = output + h * hs;
            if (hs % 16 == 0)
            {
                for (var dv = 0; dv < hs; dv += 16)
                {
                    Vector512<float> b0 = Vector512<float>.Zero, b1 = Vector512<float>.Zero;
                    var j = 0;
                    for (; j + 1 < n; j += 2)
                    {
                        b0 = Vector512.FusedMultiplyAdd(Vector512.Create(scratch[j]), Vector512.Load(vc + (long)j * hs + dv), b0);
                        b1 = Vector512.FusedMultiplyAdd(Vector512.Create(scratch[j + 1]), Vector512.Load(vc + (long)(j + 1) * hs + dv), b1);
                    }
                    if (j < n)
                        b0 = Vector512.FusedMultiplyAdd(Vector512.Create(scratch[j]), Vector512.Load(vc + (long)j * hs + dv), b0);
                    ((b0 + b1) * inv).Store(o + dv);
                }
            }
            else if (hs % 8 == 0)
            {
                for (var dv = 0; dv < hs; dv += 8)
                {
                    Vector256<float> b0 = Vector256<float>.Zero, b1 = Vector256<float>.Zero;
                    var j = 0;
                    for (; j + 1 < n; j += 2)
                    {
                        b0 = Vector256.FusedMultiplyAdd(Vector256.Create(scratch[j]), Vector256.Load(vc + (long)j * hs + dv), b0);
                        b1 = Vector256.FusedMultiplyAdd(Vector256.Create(scratch[j + 1]), Vector256.Load(vc + (long)(j + 1) * hs + dv), b1);
                    }
                    if (j < n)
                        b0 = Vector256.FusedMultiplyAdd(Vector256.Create(scratch[j]), Vector256.Load(vc + (long)j * hs + dv), b0);
                    ((b0 + b1) * inv).Store(o + dv);
                }
            }
            else
            {
                for (var d = 0; d < hs; d++)
                {
                    var acc = 0f;
                    for (var j = 0; j < n; j++)
                        acc = MathF.FusedMultiplyAdd(scratch[j], vc[(long)j * hs + d], acc);
                    o[d] = acc * inv;
                }
            }
        }
    }

    /// <summary>
    /// Attention of two consecutive query heads (q, output: 2 × 8) that read the same key/value head (kc, vc: one kv
    /// head's cache in the layouts of <see cref="CacheWrite"/>) over positions 0..n−1; s0, s1 hold S floats each. Each
    /// key block is loaded once for both heads. Weighted values: one 512-bit vector holds the values of two consecutive
    /// positions, multiplied by their two probabilities (each repeated 8 times); even positions accumulate in the lower
    /// half, odd ones in the upper, and the halves are added at the end.
    /// </summary>
    private static void AttentionPair8(float* output, float* q, float* kc, float* vc, float* s0, float* s1, int n,
        Vector512<float> tail, float scale)
    {
        const int hs = 8, blockFloats = hs * PositionBlock;
        int blocks = (n + PositionBlock - 1) / PositionBlock, last = blocks - 1;
        var negInf = Vector512.Create(float.NegativeInfinity);

        // scores of both heads, 16 positions at a time; per head two FMA chains (even and odd d)
        Vector512<float> q0 = Vector512.Create(q[0]), q1 = Vector512.Create(q[1]), q2 = Vector512.Create(q[2]),
            q3 = Vector512.Create(q[3]), q4 = Vector512.Create(q[4]), q5 = Vector512.Create(q[5]),
            q6 = Vector512.Create(q[6]), q7 = Vector512.Create(q[7]);
        Vector512<float> r0 = Vector512.Create(q[8]), r1 = Vector512.Create(q[9]), r2 = Vector512.Create(q[10]),
            r3 = Vector512.Create(q[11]), r4 = Vector512.Create(q[12]), r5 = Vector512.Create(q[13]),
            r6 = Vector512.Create(q[14]), r7 = Vector512.Create(q[15]);
        Vector512<float> max0 = negInf, max1 = negInf;
        for (var blk = 0; blk < blocks; blk++)
        {
            var kb = kc + blk * blockFloats;
            Vector512<float> k0 = Vector512.Load(kb), k1 = Vector512.Load(kb + 16), k2 = Vector512.Load(kb + 32),
                k3 = Vector512.Load(kb + 48), k4 = Vector512.Load(kb + 64), k5 = Vector512.Load(kb + 80),
                k6 = Vector512.Load(kb + 96), k7 = Vector512.Load(kb + 112);
            var a0 = k0 * q0;
            var a1 = k1 * q1;
            var b0 = k0 * r0;
            var b1 = k1 * r1;
            a0 = Vector512.FusedMultiplyAdd(k2, q2, a0);
            a1 = Vector512.FusedMultiplyAdd(k3, q3, a1);
            b0 = Vector512.FusedMultiplyAdd(k2, r2, b0);
            b1 = Vector512.FusedMultiplyAdd(k3, r3, b1);
            a0 = Vector512.FusedMultiplyAdd(k4, q4, a0);
            a1 = Vector512.FusedMultiplyAdd(k5, q5, a1);
            b0 = Vector512.FusedMultiplyAdd(k4, r4, b0);
            b1 = Vector512.FusedMultiplyAdd(k5, r5, b1);
            a0 = Vector512.FusedMultiplyAdd(k6, q6, a0);
            a1 = Vector512.FusedMultiplyAdd(k7, q7, a1);
            b0 = Vector512.FusedMultiplyAdd(k6, r6, b0);
            b1 = Vector512.FusedMultiplyAdd(k7, r7, b1);
            var sa = (a0 + a1) * scale;
            var sb = (b0 + b1) * scale;
            if (blk == last)
            {
                sa = Vector512.ConditionalSelect(tail, sa, negInf);
                sb = Vector512.ConditionalSelect(tail, sb, negInf);
            }
            sa.Store(s0 + blk * PositionBlock);
            sb.Store(s1 + blk * PositionBlock);
            max0 = Vector512.Max(max0, sa);
            max1 = Vector512.Max(max1, sb);
        }

        // softmax weights, unnormalised (masked positions 0)
        var m0 = Vector512.Create(MaxAcross(max0));
        var m1 = Vector512.Create(MaxAcross(max1));
        Vector512<float> sum0 = Vector512<float>.Zero, sum1 = Vector512<float>.Zero;
        for (var blk = 0; blk < blocks; blk++)
        {
            var ea = Vector512.Exp(Vector512.Load(s0 + blk * PositionBlock) - m0);
            var eb = Vector512.Exp(Vector512.Load(s1 + blk * PositionBlock) - m1);
            if (blk == last)
            {
                ea = Vector512.ConditionalSelect(tail, ea, Vector512<float>.Zero);
                eb = Vector512.ConditionalSelect(tail, eb, Vector512<float>.Zero);
            }
            ea.Store(s0 + blk * PositionBlock);
            eb.Store(s1 + blk * PositionBlock);
            sum0 += ea;
            sum1 += eb;
        }

        // o = Σ_j p[j] · v[j], two positions per vector: pair t of a block takes p[2t] (lower half) and p[2t+1]
        Vector512<float> a = Vector512<float>.Zero, a2 = Vector512<float>.Zero, b = Vector512<float>.Zero,
            b2 = Vector512<float>.Zero;
        var pairs = n / 2; // complete pairs; an odd last position is added below
        for (var blk = 0; blk * (PositionBlock / 2) < pairs; blk++)
        {
            var p0 = Vector512.Load(s0 + blk * PositionBlock);
            var p1 = Vector512.Load(s1 + blk * PositionBlock);
            var vb = vc + blk * PositionBlock * hs;
            var count = Math.Min(PositionBlock / 2, pairs - blk * (PositionBlock / 2));
            var t = 0;
            var index = FirstPair; // lanes [2t × 8, 2t+1 × 8]: pair t's two probabilities, each over 8 lanes
            var two = Vector512.Create(2);
            for (; t + 1 < count; t += 2)
            {
                var next = index + two;
                var v0 = Vector512.Load(vb + t * 2 * hs);
                var v1 = Vector512.Load(vb + (t + 1) * 2 * hs);
                a = Vector512.FusedMultiplyAdd(v0, Vector512.Shuffle(p0, index), a);
                b = Vector512.FusedMultiplyAdd(v0, Vector512.Shuffle(p1, index), b);
                a2 = Vector512.FusedMultiplyAdd(v1, Vector512.Shuffle(p0, next), a2);
                b2 = Vector512.FusedMultiplyAdd(v1, Vector512.Shuffle(p1, next), b2);
                index = next + two;
            }
            if (t < count)
            {
                var v0 = Vector512.Load(vb + t * 2 * hs);
                a = Vector512.FusedMultiplyAdd(v0, Vector512.Shuffle(p0, index), a);
                b = Vector512.FusedMultiplyAdd(v0, Vector512.Shuffle(p1, index), b);
            }
        }
        if (n % 2 == 1)
        {
            var j = n - 1;
            var v = Vector256.Load(vc + (long)j * hs);
            a += Vector512.Create(v * s0[j], Vector256<float>.Zero);
            b += Vector512.Create(v * s1[j], Vector256<float>.Zero);
        }
        a += a2;
        b += b2;
        ((a.GetLower() + a.GetUpper()) * (1f / Vector512.Sum(sum0))).Store(output);
        ((b.GetLower() + b.GetUpper()) * (1f / Vector512.Sum(sum1))).Store(output + hs);
    }

    /// <summary>Lane indices [0 × 8, 1 × 8]: the first pair of a block's probabilities, each over 8 lanes.</summary>
    private static Vector512<int> FirstPair => Vector512.Create(Vector256.Create(0), Vector256.Create(1));

    /// <summary>
    /// Inverse-CDF draw from unnormalised weights w (all ≥ 0) with total ≈ <paramref name="sum"/>: the first index whose
    /// running total exceeds u · sum, u ∈ [0, 1). Skips 64, then 16 weights at a time while the running total stays below
    /// the target. If rounding leaves the target unreached, returns the last index with a positive weight.
    /// </summary>
    public static int Draw(ReadOnlySpan<float> w, float sum, float u)
    {
        var r = u * sum;
        var acc = 0f;
        var i = 0;
        fixed (float* wp = w)
        {
            for (; i + 4 * PositionBlock <= w.Length; i += 4 * PositionBlock)
            {
                var chunk = Vector512.Sum(Vector512.Load(wp + i) + Vector512.Load(wp + i + 16)
                    + (Vector512.Load(wp + i + 32) + Vector512.Load(wp + i + 48)));
                if (acc + chunk > r)
                    break;
                acc += chunk;
            }
            for (; i + PositionBlock <= w.Length; i += PositionBlock)
            {
                var block = Vector512.Sum(Vector512.Load(wp + i));
                if (acc + block > r)
                    break;
                acc += block;
            }
        }
        var last = -1;
        for (; i < w.Length; i++)
        {
            if (w[i] <= 0f)
                continue;
            acc += w[i];
            last = i;
            if (r < acc)
                return i;
        }
        if (last >= 0)
            return last;
        for (i = w.Length - 1; i > 0 && !(w[i] > 0f); i--)
        {
        }
        return i;
    }

    /// <summary>The largest of 16 lanes.</summary>
    public static float MaxAcross(Vector512<float> v)
    {
        var v256 = Vector256.Max(v.GetLower(), v.GetUpper());
        var v128 = Vector128.Max(v256.GetLower(), v256.GetUpper());
        return MathF.Max(MathF.Max(v128[0], v128[1]), MathF.Max(v128[2], v128[3]));
    }
}
