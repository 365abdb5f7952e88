using Rlhf.Engine.Internal;

namespace Rlhf.Engine;

public sealed unsafe partial class LlamaModel
{
    private const int MatricesPerLayer = 7; // q, k, v, o, gate (W1), up (W3), down (W2)

    /// <summary>Weights (bytes) up to which decoding team members each run all GEMMs on their own rows: about what
    /// one core's L2 holds beside the step's activations.</summary>
    private const long IndependentMaxWeightBytes = 3L << 19;

    /// <summary>Floats of the weight matrices a decoding step multiplies by (<see cref="MatricesPerLayer"/> per layer and
    /// the LM head), which are also the step's multiply-adds per row.</summary>
    private static long DecodeWeightFloats(ModelConfig cfg) =>
        (long)cfg.Dim * (2L * cfg.Dim + 2L * cfg.KvDim + 3L * cfg.HiddenDim) * cfg.NLayers + (long)cfg.Dim * cfg.VocabSize;

    /// <summary>Packed copies of the weight matrices for decoding (<see cref="PackedGemm"/>); rebuilt on every
    /// <see cref="Generate"/> that batches enough rows, kept between calls to avoid reallocating.</summary>
    private float[]? _packedWeights;

    /// <summary>A weight matrix W (N, K) in the parameter buffer and, when packed, its panel copy.</summary>
    private struct DecodeMatrix
    {
        public float* Weights;
        public float* Packed;
        public int N;
        public int K;
    }

    /// <summary>One product of a decoding step: Y (rows, N; stride Ldy) = X (rows, K; stride Ldx) · Wᵀ (+ Y).</summary>
    private struct DecodeProduct
    {
        public float* Y;
        public int Ldy;
        public float* X;
        public int Ldx;
        public DecodeMatrix M;
        public int Rows;
        public bool Accumulate;
    }

    /// <summary>
    /// The state of one <see cref="Generate"/> call and its step: every active sequence advances one position. The step
    /// runs on every member of a <see cref="SpinTeam"/>. When all weights fit one core's L2, each member runs the whole
    /// step on its own share of the rows, with no barrier. Otherwise the members share every GEMM by work items over
    /// all active rows (so each streams only part of the weights), each recomputes RMSNorm into its own buffer,
    /// attention and sampling are split by rows, and a barrier separates phases that read what another member wrote.
    /// </summary>
    private sealed class Decoder
    {
        private readonly LlamaModel _model;
        private readonly SpinTeam _team;
        private readonly ModelConfig _cfg;
        private readonly GenerationOptions _options;
        private readonly int _b;
        private readonly int _stride;
        private readonly bool _filter;
        private readonly Xoshiro256StarStar[] _rngs;
        private readonly float[] _kcacheArray, _vcacheArray, _workArray, _threadArray;
        private readonly int[] _position = GC.AllocateArray<int>(1, pinned: true);
        private readonly float[] _sortKeys;
        private readonly int[] _sortIdx;
        private readonly DecodeMatrix[] _matrices;
        private readonly Action<int> _body;
        private readonly float* _kcache, _vcache;           // (L, B, ·): layouts of DecodeKernels.CacheWrite
        private readonly float* _x, _q, _kNew, _vNew, _atty; // (B, C), (B, C), (B, KvDim), (B, KvDim), (B, C)
        private readonly float* _hb, _hb2, _logits;         // (B, H), (B, H), (B, V)
        private readonly float* _thread;                    // per member: xb (B, C), rows (B, C), att (2S), exp (V)
        private readonly long _threadFloats;
        private readonly bool _independent;
        private int _ba, _mRows;

        public Decoder(LlamaModel model, SpinTeam team, int b, int cacheLen, GenerationOptions options)
        {
            _model = model;
            _team = team;
            _cfg = model.Config;
            _options = options;
            _b = b;
            int c = _cfg.Dim, h = _cfg.HiddenDim, kv = _cfg.KvDim, vocab = _cfg.VocabSize;
            _stride = (cacheLen + DecodeKernels.PositionBlock - 1) / DecodeKernels.PositionBlock * DecodeKernels.PositionBlock;
            var cacheFloats = checked((long)_cfg.NLayers * b * kv * _stride);
            _kcacheArray = GC.AllocateUninitializedArray<float>(checked((int)cacheFloats + Aligned.Padding), pinned: true);
            _vcacheArray = GC.AllocateUninitializedArray<float>((int)cacheFloats + Aligned.Padding, pinned: true);
            _kcache = Aligned.Up(Pointer(_kcacheArray));
            _vcache = Aligned.Up(Pointer(_vcacheArray));

            // each buffer starts on a 64-byte boundary
            long[] sizes = [(long)b * c, (long)b * c, (long)b * kv, (long)b * kv, (long)b * c, (long)b * h, (long)b * h,
                (long)b * vocab];
            _workArray = GC.AllocateUninitializedArray<float>(checked((int)sizes.Sum(Aligned.RoundUp) + Aligned.Padding), pinned: true);
            var at = Aligned.Up(Pointer(_workArray));
            float* Next(long n)
            {
                var p = at;
                at += Aligned.RoundUp(n);
                return p;
            }
            _x = Next(sizes[0]);
            _q = Next(sizes[1]);
            _kNew = Next(sizes[2]);
            _vNew = Next(sizes[3]);
            _atty = Next(sizes[4]);
            _hb = Next(sizes[5]);
            _hb2 = Next(sizes[6]);
            _logits = Next(sizes[7]);
            _threadFloats = Aligned.RoundUp((long)b * c) * 2 + 2L * _stride + Aligned.RoundUp(vocab);
            _threadArray = GC.AllocateUninitializedArray<float>(checked((int)(_threadFloats * team.Size) + Aligned.Padding), pinned: true);
            _thread = Aligned.Up(Pointer(_threadArray));

            Slots = new int[b];
            Tokens = new int[b];
            LogitRows = new int[b];
            Sampled = new int[b];
            SampledLogprobs = new float[b];
            _rngs = new Xoshiro256StarStar[b];
            for (var s = 0; s < b; s++)
                _rngs[s] = new Xoshiro256StarStar(options.Seed, (ulong)s);
            _filter = options.Temperature > 0f && (options.TopK > 0 && options.TopK < vocab || options.TopP < 1f);
            _sortKeys = _filter ? new float[team.Size * vocab] : [];
            _sortIdx = _filter ? new int[team.Size * vocab] : [];

            var p = model._p;
            var layout = model._layout;
            _matrices = new DecodeMatrix[_cfg.NLayers * MatricesPerLayer + 1];
            for (var l = 0; l < _cfg.NLayers; l++)
            {
                var m = _matrices.AsSpan(l * MatricesPerLayer, MatricesPerLayer);
                m[0] = Matrix(p + layout.Wq + (long)l * c * c, c, c);
                m[1] = Matrix(p + layout.Wk + (long)l * kv * c, kv, c);
                m[2] = Matrix(p + layout.Wv + (long)l * kv * c, kv, c);
                m[3] = Matrix(p + layout.Wo + (long)l * c * c, c, c);
                m[4] = Matrix(p + layout.W1 + (long)l * h * c, h, c);
                m[5] = Matrix(p + layout.W3 + (long)l * h * c, h, c);
                m[6] = Matrix(p + layout.W2 + (long)l * c * h, c, h);
            }
            _matrices[^1] = Matrix(p + layout.LmHead, vocab, c);
            // Members run the whole step on their own rows, with no barrier, when every member can hold all weights
            // in its own cache; otherwise they share each GEMM by column panels (each streams a share of the weights).
            _independent = DecodeWeightFloats(_cfg) * sizeof(float) <= IndependentMaxWeightBytes;
            _body = StepBody;
        }

        /// <summary>(Ba) cache slot (sequence index) of each active row.</summary>
        public int[] Slots { get; }

        /// <summary>(Ba) token fed at this step.</summary>
        public int[] Tokens { get; }

        /// <summary>(M) active rows that sample at this step.</summary>
        public int[] LogitRows { get; }

        /// <summary>(M) the sampled token of each sampling row.</summary>
        public int[] Sampled { get; }

        /// <summary>(M) its behaviour logprob.</summary>
        public float[] SampledLogprobs { get; }

        /// <summary>Packs every weight matrix into the model's panel buffer (shared out over the team).</summary>
        public void PackWeights()
        {
            if (!PackedGemm.IsSupported || _model.Options.Gemm is not null)
                return; // the micro-kernels need AVX-512 or AVX2 + FMA; a custom IGemm is used as given
            long total = 0;
            foreach (var m in _matrices)
                total += PackedGemm.PackedLength(m.N, m.K);
            if (_model._packedWeights is null || _model._packedWeights.Length < total + Aligned.Padding)
                _model._packedWeights = GC.AllocateUninitializedArray<float>(checked((int)total + Aligned.Padding), pinned: true);
            var at = Aligned.Up(Pointer(_model._packedWeights));
            var panels = 0;
            for (var i = 0; i < _matrices.Length; i++)
            {
                _matrices[i].Packed = at;
                at += PackedGemm.PackedLength(_matrices[i].N, _matrices[i].K);
                panels += PackedGemm.Panels(_matrices[i].N);
            }
            var matrices = _matrices;
            _team.Run(member =>
            {
                var (lo, hi) = Share(panels, member);
                var first = 0;
                foreach (var m in matrices)
                {
                    var count = PackedGemm.Panels(m.N);
                    int p0 = Math.Max(lo - first, 0), p1 = Math.Min(hi - first, count);
                    if (p0 < p1)
                        PackedGemm.Pack(m.Weights, m.N, m.K, m.Packed, p0, p1);
                    first += count;
                }
            });
        }

        /// <summary>
        /// Runs the blocks, the LM head and sampling for position <paramref name="pos"/> of the first
        /// <paramref name="ba"/> rows (<see cref="Slots"/>, <see cref="Tokens"/>); the first <paramref name="mRows"/>
        /// entries of <see cref="LogitRows"/> sample into <see cref="Sampled"/> and <see cref="SampledLogprobs"/>.
        /// </summary>
        public void Step(int pos, int ba, int mRows)
        {
            _position[0] = pos;
            _ba = ba;
            _mRows = mRows;
            fixed (int* tok = Tokens)
                Kernels.EncoderForward(_x, tok, _model._p + _model._layout.Embed, ba, _cfg.Dim);
            _team.Run(_body);
        }

        private void StepBody(int member)
        {
            var cfg = _cfg;
            var p = _model._p;
            var layout = _model._layout;
            int c = cfg.Dim, h = cfg.HiddenDim, kv = cfg.KvDim, ba = _ba, mRows = _mRows, pos = _position[0];
            var mine = _thread + member * _threadFloats;
            var bc = Aligned.RoundUp((long)_b * c);
            float* xb = mine, rows = xb + bc, att = rows + bc, exp = att + 2L * _stride;

            // Rows this member attends for; and the rows its GEMMs run over: the same rows when members run
            // independently, all rows (each member a share of the columns) when they share the GEMMs.
            var (a0, a1) = Share(ba, member);
            var independent = _independent;
            int g0 = independent ? a0 : 0, gr = independent ? a1 - a0 : ba;
            float* x = _x + (long)g0 * c, q = _q + (long)g0 * c, kNew = _kNew + (long)g0 * kv, vNew = _vNew + (long)g0 * kv;
            float* atty = _atty + (long)g0 * c, hb = _hb + (long)g0 * h, hb2 = _hb2 + (long)g0 * h;
            fixed (int* posPtr = _position)
            fixed (float* cos = _model._ropeCos, sin = _model._ropeSin)
            {
                for (var l = 0; l < cfg.NLayers; l++)
                {
                    var m = _matrices.AsSpan(l * MatricesPerLayer, MatricesPerLayer);
                    Norm(xb, x, p + layout.RmsAtt + (long)l * c, gr, c, cfg.NormEps);
                    RunGemms(
                    [
                        Product(q, c, xb, c, m[0], gr, false),
                        Product(kNew, kv, xb, c, m[1], gr, false),
                        Product(vNew, kv, xb, c, m[2], gr, false),
                    ], member);
                    Sync();

                    for (var r = a0; r < a1; r++)
                    {
                        float* qr = _q + (long)r * c, kr = _kNew + (long)r * kv;
                        Kernels.Rope(qr, posPtr, cos, sin, 1, c, cfg.NHeads, cfg.HeadSize, inverse: false);
                        Kernels.Rope(kr, posPtr, cos, sin, 1, kv, cfg.NKvHeads, cfg.HeadSize, inverse: false);
                        var block = ((long)l * _b + Slots[r]) * kv * _stride;
                        float* kc = _kcache + block, vc = _vcache + block;
                        DecodeKernels.CacheWrite(kc, vc, kr, _vNew + (long)r * kv, pos, cfg.NKvHeads, cfg.HeadSize, _stride);
                        DecodeKernels.AttentionRow(_atty + (long)r * c, qr, kc, vc, att, pos, cfg.NHeads, cfg.NKvHeads,
                            cfg.HeadSize, _stride);
                    }
                    Sync();

                    RunGemms([Product(x, c, atty, c, m[3], gr, true)], member);
                    Sync();

                    Norm(xb, x, p + layout.RmsFfn + (long)l * c, gr, c, cfg.NormEps);
                    RunSwiGlu(Product(hb, h, xb, c, m[4], gr, false), Product(hb2, h, xb, c, m[5], gr, false), member);
                    Sync();

                    RunGemms([Product(x, c, hb, h, m[6], gr, true)], member);
                    Sync();
                }
            }
            if (mRows == 0)
                return;

            // final norm of the sampling rows, LM head, sampling. LogitRows is ascending, so the sampling rows among
            // this member's rows are a contiguous range.
            int i0 = 0, i1 = mRows;
            if (independent)
            {
                while (i0 < mRows && LogitRows[i0] < a0)
                    i0++;
                i1 = i0;
                while (i1 < mRows && LogitRows[i1] < a1)
                    i1++;
            }
            for (var i = i0; i < i1; i++)
                Kernels.RmsNormRow(rows + (long)(i - i0) * c, _x + (long)LogitRows[i] * c, p + layout.RmsFinal, c, cfg.NormEps);
            var vocab = cfg.VocabSize;
            RunGemms([Product(_logits + (long)i0 * vocab, vocab, rows, c, _matrices[^1], i1 - i0, false)], member);
            Sync();

            var (s0, s1) = independent ? (i0, i1) : Share(mRows, member);
            for (var i = s0; i < s1; i++)
            {
                var s = Slots[LogitRows[i]];
                var z = new Span<float>(_logits + (long)i * vocab, vocab);
                (Sampled[i], SampledLogprobs[i]) = SampleToken(z, new Span<float>(exp, vocab), _options, _rngs[s],
                    _filter ? _sortKeys.AsSpan(member * vocab, vocab) : default,
                    _filter ? _sortIdx.AsSpan(member * vocab, vocab) : default);
            }
        }

        /// <summary>RMSNorm of <paramref name="rows"/> consecutive rows (C) of x into output.</summary>
        private static void Norm(float* output, float* x, float* weight, int rows, int c, float eps)
        {
            for (var r = 0; r < rows; r++)
                Kernels.RmsNormRow(output + (long)r * c, x + (long)r * c, weight, c, eps);
        }

        /// <summary>A barrier, unless members run independently.</summary>
        private void Sync()
        {
            if (!_independent)
                _team.Barrier();
        }

        /// <summary>The work items [lo, hi) of a step's GEMM that a member runs: all of them when members run
        /// independently (each on its own rows), else its share.</summary>
        private (int Lo, int Hi) GemmShare(int count, int member) => _independent ? (0, count) : Share(count, member);

        /// <summary>The contiguous share [lo, hi) of <paramref name="count"/> items that a member takes.</summary>
        private (int Lo, int Hi) Share(int count, int member) =>
            ((int)((long)count * member / _team.Size), (int)((long)count * (member + 1) / _team.Size));

        private static DecodeMatrix Matrix(float* w, int n, int k) => new() { Weights = w, N = n, K = k };

        private static DecodeProduct Product(float* y, int ldy, float* x, int ldx, DecodeMatrix m, int rows, bool accumulate) =>
            new() { Y = y, Ldy = ldy, X = x, Ldx = ldx, M = m, Rows = rows, Accumulate = accumulate };

        /// <summary>Once packed, every product of the call runs on the packed kernel (whatever its row count), so a
        /// row's result depends neither on the other rows nor on the thread count.</summary>
        private static bool IsPacked(in DecodeProduct j) => j.M.Packed != null;

        /// <summary>Work items: (panel, row block) pairs on the packed kernel, column panels on BLAS.</summary>
        private static int Items(in DecodeProduct j) =>
            IsPacked(j) ? PackedGemm.Items(j.Rows, j.M.N) : PackedGemm.Panels(j.M.N);

        private void RunItems(in DecodeProduct j, int i0, int i1)
        {
            if (i0 >= i1)
                return;
            if (IsPacked(j))
            {
                PackedGemm.Multiply(j.Y, j.Ldy, j.X, j.Ldx, j.M.Packed, j.Rows, j.M.N, j.M.K, j.Accumulate, i0, i1);
                return;
            }
            int c0 = i0 * PackedGemm.PanelWidth, c1 = Math.Min(j.M.N, i1 * PackedGemm.PanelWidth);
            _model._gemm.Sgemm(false, true, j.Rows, c1 - c0, j.M.K, 1f, j.X, j.Ldx, j.M.Weights + (long)c0 * j.M.K, j.M.K,
                j.Accumulate ? 1f : 0f, j.Y + c0, j.Ldy);
        }

        /// <summary>Runs a member's share of the concatenated work items of <paramref name="products"/>.</summary>
        private void RunGemms(ReadOnlySpan<DecodeProduct> products, int member)
        {
            var total = 0;
            foreach (ref readonly var j in products)
                total += Items(j);
            var (lo, hi) = GemmShare(total, member);
            var first = 0;
            foreach (ref readonly var j in products)
            {
                var count = Items(j);
                RunItems(j, Math.Max(lo - first, 0), Math.Min(hi - first, count));
                first += count;
            }
        }

        /// <summary>gate ← silu(gate) ⊙ up over a member's share of the work items, each item's tile right after both
        /// products.</summary>
        private void RunSwiGlu(in DecodeProduct gate, in DecodeProduct up, int member)
        {
            var (lo, hi) = GemmShare(Items(gate), member);
            int h = gate.M.N, rows = gate.Rows;
            if (!IsPacked(gate))
            {
                RunItems(gate, lo, hi);
                RunItems(up, lo, hi);
                int c0 = lo * PackedGemm.PanelWidth, c1 = Math.Min(h, hi * PackedGemm.PanelWidth);
                for (var r = 0; r < rows && c0 < c1; r++)
                    Kernels.SwiGluForward(gate.Y + (long)r * h + c0, gate.Y + (long)r * h + c0, up.Y + (long)r * h + c0, c1 - c0);
                return;
            }
            var blocks = (rows + PackedGemm.RowBlock - 1) / PackedGemm.RowBlock;
            for (var i = lo; i < hi; i++)
            {
                RunItems(gate, i, i + 1);
                RunItems(up, i, i + 1);
                int c0 = i / blocks * PackedGemm.PanelWidth, r0 = i % blocks * PackedGemm.RowBlock;
                int cols = Math.Min(PackedGemm.PanelWidth, h - c0), r1 = Math.Min(rows, r0 + PackedGemm.RowBlock);
                for (var r = r0; r < r1; r++)
                    Kernels.SwiGluForward(gate.Y + (long)r * h + c0, gate.Y + (long)r * h + c0, up.Y + (long)r * h + c0, cols);
            }
        }
    }
}
