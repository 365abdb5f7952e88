using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rlhf.Engine.Internal;

namespace Rlhf.Engine;

/// <summary>
/// A Llama-family decoder on the CPU with explicit forward and backward kernels (see <see cref="ModelConfig"/>), an LM
/// head and a scalar head <c>s[p] = score.weight · h[p] + score.bias</c> on the final-norm hidden state h. Parameters
/// and gradients each live in one pinned allocation, exposed as Hugging Face-named views. One call at a time: the model
/// is not thread-safe (it parallelises inside each call over <see cref="EngineOptions.Threads"/> threads).
/// </summary>
public sealed unsafe partial class LlamaModel
{
    private readonly ParameterLayout _layout;
    private readonly float[] _params;
    private readonly float[] _grads;
    private readonly float* _p;
    private readonly float* _g;
    private readonly float[] _ropeCos; // (MaxSeqLen, HS/2)
    private readonly float[] _ropeSin; // (MaxSeqLen, HS/2)
    private readonly IGemm _gemm;
    private readonly List<float[]> _spareActivations = []; // at most two released activation buffers
    private float[]? _spareScratch;

    /// <summary>Creates a model with all parameters zero except the RMSNorm weights (one).</summary>
    /// <exception cref="ArgumentException">The configuration is inconsistent.</exception>
    /// <exception cref="DllNotFoundException">OpenBLAS is missing (install <c>libopenblas0-pthread</c>).</exception>
    public LlamaModel(ModelConfig config, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Options = options ?? new EngineOptions();
        if (Options.Threads < 1)
            throw new ArgumentException($"threads must be ≥ 1, got {Options.Threads}", nameof(options));
        _gemm = Options.Gemm ?? Blas.OpenBlas;
        _layout = new ParameterLayout(config);
        _params = GC.AllocateArray<float>((int)_layout.Total + Aligned.Padding, pinned: true);
        _grads = GC.AllocateArray<float>((int)_layout.Total + Aligned.Padding, pinned: true);
        _p = Aligned.Up(Pointer(_params));
        _g = Aligned.Up(Pointer(_grads));
        Parameters = _layout.Views(config, _params, Aligned.Offset(_params));
        Gradients = _layout.Views(config, _grads, Aligned.Offset(_grads));
        ResetNormWeights();

        int half = config.HeadSize / 2, hs = config.HeadSize;
        _ropeCos = GC.AllocateArray<float>(config.MaxSeqLen * half, pinned: true);
        _ropeSin = GC.AllocateArray<float>(config.MaxSeqLen * half, pinned: true);
        for (var pos = 0; pos < config.MaxSeqLen; pos++)
        {
            for (var i = 0; i < half; i++)
            {
                // As llama2.c run.c computes it, in float: freq = 1 / θ^(2i / HS), angle = pos · freq.
                var freq = 1f / MathF.Pow(config.RopeTheta, 2 * i / (float)hs);
                var angle = pos * freq;
                _ropeCos[pos * half + i] = MathF.Cos(angle);
                _ropeSin[pos * half + i] = MathF.Sin(angle);
            }
        }
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>Execution options.</summary>
    public EngineOptions Options { get; }

    /// <summary>Parameter views in Hugging Face order and naming (writes go straight into the model).</summary>
    public IReadOnlyList<NamedTensor> Parameters { get; }

    /// <summary>Gradient views, same order, names and shapes as <see cref="Parameters"/>; backward accumulates into them.</summary>
    public IReadOnlyList<NamedTensor> Gradients { get; }

    /// <summary>Total number of parameters (a tied head counted once).</summary>
    public long ParameterCount => _layout.Total;

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(_grads);

    /// <summary>
    /// Random initialisation: every matrix (embedding, projections, untied head) ~ N(0, std²) from a seeded
    /// <see cref="Xoshiro256StarStar"/>; RMSNorm weights 1; score head 0.
    /// </summary>
    public void InitializeRandom(ulong seed, float std = 0.02f)
    {
        var rng = new Xoshiro256StarStar(seed);
        foreach (var t in Parameters)
        {
            var span = t.Data.Span;
            if (t.Shape.Length == 2 && !t.Name.StartsWith("score.", StringComparison.Ordinal))
            {
                for (var i = 0; i < span.Length; i++)
                    span[i] = (float)(rng.NextGaussian() * std);
            }
            else
                span.Clear();
        }
        ResetNormWeights();
    }

    private void ResetNormWeights()
    {
        new Span<float>(_p + _layout.RmsAtt, Config.NLayers * Config.Dim).Fill(1f);
        new Span<float>(_p + _layout.RmsFfn, Config.NLayers * Config.Dim).Fill(1f);
        new Span<float>(_p + _layout.RmsFinal, Config.Dim).Fill(1f);
    }

    internal static float* Pointer(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

    internal static int* Pointer(int[] array) => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

    /// <summary>y (n, outF) = x (n, inF) · Wᵀ (W (outF, inF)) + β · y.</summary>
    private void Linear(float* y, float* x, float* w, int n, int outF, int inF, float beta = 0f) =>
        _gemm.Sgemm(false, true, n, outF, inF, 1f, x, inF, w, inF, beta, y, outF);

    /// <summary>dx (n, inF) = dy · W + β · dx; dW (outF, inF) += dyᵀ · x.</summary>
    private void LinearBackward(float* dx, float* dw, float* dy, float* x, float* w, int n, int outF, int inF, float betaDx)
    {
        _gemm.Sgemm(false, false, n, inF, outF, 1f, dy, outF, w, inF, betaDx, dx, inF);
        _gemm.Sgemm(true, false, outF, inF, n, 1f, dy, outF, x, inF, 1f, dw, inF);
    }

    /// <summary>A pinned buffer that holds <paramref name="size"/> floats from its first 64-byte-aligned element
    /// (<see cref="Aligned.Up"/>).</summary>
    private float[] RentActivations(long size)
    {
        size += Aligned.Padding;
        lock (_spareActivations)
        {
            // the smallest spare that fits and does not waste more than half of itself
            var best = -1;
            for (var i = 0; i < _spareActivations.Count; i++)
            {
                var length = _spareActivations[i].Length;
                if (length >= size && length <= 2 * size + (1 << 20) && (best < 0 || length < _spareActivations[best].Length))
                    best = i;
            }
            if (best >= 0)
            {
                var spare = _spareActivations[best];
                _spareActivations.RemoveAt(best);
                return spare;
            }
        }
        return GC.AllocateUninitializedArray<float>((int)size, pinned: true);
    }

    internal void ReturnActivations(float[] buffer)
    {
        lock (_spareActivations)
        {
            _spareActivations.Add(buffer);
            if (_spareActivations.Count > 2)
            {
                var smallest = 0;
                for (var i = 1; i < _spareActivations.Count; i++)
                    if (_spareActivations[i].Length < _spareActivations[smallest].Length)
                        smallest = i;
                _spareActivations.RemoveAt(smallest);
            }
        }
    }

    /// <summary>Like <see cref="RentActivations"/>: <paramref name="size"/> floats from the first aligned element.</summary>
    private float[] RentScratch(long size)
    {
        size += Aligned.Padding;
        var s = _spareScratch;
        if (s is null || s.Length < size)
            _spareScratch = s = GC.AllocateUninitializedArray<float>((int)size, pinned: true);
        return s;
    }
}
