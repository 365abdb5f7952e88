using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rlhf.Engine.Internal;

/// <summary>
/// y (M, N) = x (M, K) · Wᵀ (+ y) for KV-cache decoding, where M is a few dozen rows (one per sequence) and W (N, K) is
/// a weight matrix that stays fixed for a whole generation. OpenBLAS repacks W on every call and reaches about half of
/// a core's peak at M = 32; here W is packed once per generation into column panels of <see cref="PanelWidth"/>
/// outputs, (panels, K, 32), and a micro-kernel computes 8 rows × 32 columns per work item with the panel in L1: on
/// AVX-512 in one pass of 16 512-bit accumulators, on AVX2 + FMA in up to four passes of 4 rows × 16 columns (8 256-bit
/// accumulators; 16 vector registers hold no more). Every output element is one FMA chain over k = 0 … K−1 starting
/// from zero (then + y) on both, so a row's result depends neither on the other rows nor on how the work is split
/// between threads, and the two kernels agree bitwise.
/// </summary>
internal static unsafe class PackedGemm
{
    /// <summary>Output columns per packed panel (two 16-lane vectors).</summary>
    public const int PanelWidth = 32;

    /// <summary>Rows per micro-kernel pass.</summary>
    public const int RowBlock = 8;

    /// <summary>Floats in a 64-byte cache line.</summary>
    private const int LineFloats = 16;

    /// <summary>True when a micro-kernel runs on hardware vectors: AVX-512, or AVX2 with FMA (else callers use BLAS).</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated || Avx2Kernel;

    /// <summary>True when <see cref="Multiply"/> runs the 256-bit kernel (AVX2 + FMA, no AVX-512).</summary>
    private static bool Avx2Kernel => !Vector512.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Number of panels of a matrix with <paramref name="n"/> rows (outputs).</summary>
    public static int Panels(int n) => (n + PanelWidth - 1) / PanelWidth;

    /// <summary>Floats the packed copy of an (n, k) matrix takes.</summary>
    public static long PackedLength(int n, int k) => (long)Panels(n) * PanelWidth * k;

    /// <summary>
    /// Packs panels [p0, p1) of W (n, k), row-major, into dst laid out (panels, k, 32); columns past n are zero.
    /// </summary>
    public static void Pack(float* w, int n, int k, float* dst, int p0, int p1)
    {
        for (var p = p0; p < p1; p++)
        {
            var panel = dst + (long)p * k * PanelWidth;
            var cols = Math.Min(PanelWidth, n - p * PanelWidth);
            if (cols < PanelWidth)
                new Span<float>(panel, k * PanelWidth).Clear();
            for (var j = 0; j < cols; j++)
            {
                var src = w + (long)(p * PanelWidth + j) * k;
                for (var kk = 0; kk < k; kk++)
                    panel[kk * PanelWidth + j] = src[kk];
            }
        }
    }

    /// <summary>Work items of one product: (panel, row block) pairs, panel-major.</summary>
    public static int Items(int m, int n) => Panels(n) * ((m + RowBlock - 1) / RowBlock);

    /// <summary>
    /// Computes items [i0, i1) of y (m, n; row stride ldy) = x (m, k; row stride ldx) · Wᵀ, W packed by
    /// <see cref="Pack"/>; with <paramref name="accumulate"/> the product is added to y. <paramref name="wide"/> picks
    /// the kernel: true the 512-bit one, false the 256-bit one (either runs anywhere, emulated where the hardware lacks
    /// the width, which is how the tests compare them), null the one the hardware runs natively.
    /// </summary>
    public static void Multiply(float* y, int ldy, float* x, int ldx, float* packed, int m, int n, int k, bool accumulate,
        int i0, int i1, bool? wide = null)
    {
        var wideKernel = wide ?? !Avx2Kernel;
        var blocks = (m + RowBlock - 1) / RowBlock;
        var panelFloats = (long)k * PanelWidth;
        var end = packed + Panels(n) * panelFloats;
        for (var i = i0; i < i1; i++)
        {
            int p = i / blocks, rb = i % blocks, r0 = rb * RowBlock;
            // while this panel is in cache, fetch the next one from memory: pass rb asks for lines from rb·K on
            // (one line per k, two lines per k-row of a panel), so the first two passes cover the whole panel
            var next = packed + (p + 1) * panelFloats + (long)rb % 2 * k * LineFloats;
            float* xr = x + (long)r0 * ldx, panel = packed + p * panelFloats, yr = y + (long)r0 * ldy + p * PanelWidth;
            int rows = Math.Min(RowBlock, m - r0), cols = Math.Min(PanelWidth, n - p * PanelWidth);
            var ahead = next < end ? next : null;
            if (wideKernel)
            {
                Kernel8x32(xr, ldx, panel, k, yr, ldy, rows, cols, accumulate, ahead);
                continue;
            }
            // the item as 4 × 16 tiles; the first one asks for the next panel's lines
            for (var tr = 0; tr < rows; tr += 4)
                for (var tc = 0; tc < cols; tc += 16)
                    Kernel4x16(xr + (long)tr * ldx, ldx, panel + tc, k, yr + (long)tr * ldy + tc, ldy, Math.Min(4, rows - tr),
                        Math.Min(16, cols - tc), accumulate, tr == 0 && tc == 0 ? ahead : null);
        }
    }

    /// <summary>
    /// 4 rows × 16 columns of a panel (w points at the panel's column offset, rows of <see cref="PanelWidth"/> floats):
    /// c[r] += x[r, k] · w[k, 0..16] for k = 0 … K−1, in 256-bit vectors. Rows past <paramref name="rows"/> repeat the
    /// last valid row (computed, not stored); columns past <paramref name="cols"/> are not stored. Asks for the K cache
    /// lines from <paramref name="prefetch"/> on (when not null), one per k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x16(float* x, int ldx, float* w, int k, float* y, int ldy, int rows, int cols, bool accumulate,
        float* prefetch)
    {
        var prefetching = Sse.IsSupported && prefetch != null;
        var last = rows - 1;
        float* x0 = x, x1 = x + (long)ldx * Math.Min(1, last), x2 = x + (long)ldx * Math.Min(2, last),
            x3 = x + (long)ldx * Math.Min(3, last);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default;
        for (var kk = 0; kk < k; kk++)
        {
            var w0 = Vector256.Load(w);
            var w1 = Vector256.Load(w + 8);
            if (prefetching)
                Sse.Prefetch1(prefetch + kk * LineFloats);
            w += PanelWidth;
            var b = Vector256.Create(x0[kk]);
            c00 = Vector256.FusedMultiplyAdd(w0, b, c00);
            c01 = Vector256.FusedMultiplyAdd(w1, b, c01);
            b = Vector256.Create(x1[kk]);
            c10 = Vector256.FusedMultiplyAdd(w0, b, c10);
            c11 = Vector256.FusedMultiplyAdd(w1, b, c11);
            b = Vector256.Create(x2[kk]);
            c20 = Vector256.FusedMultiplyAdd(w0, b, c20);
            c21 = Vector256.FusedMultiplyAdd(w1, b, c21);
            b = Vector256.Create(x3[kk]);
            c30 = Vector256.FusedMultiplyAdd(w0, b, c30);
            c31 = Vector256.FusedMultiplyAdd(w1, b, c31);
        }
        if (cols == 16)
        {
            Store(y, c00, c01, accumulate);
            if (rows > 1) Store(y + ldy, c10, c11, accumulate);
            if (rows > 2) Store(y + 2L * ldy, c20, c21, accumulate);
            if (rows > 3) Store(y + 3L * ldy, c30, c31, accumulate);
            return;
        }
        var tile = stackalloc float[4 * 16];
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        for (var r = 0; r < rows; r++)
        {
            var dst = y + (long)r * ldy;
            for (var j = 0; j < cols; j++)
                dst[j] = accumulate ? dst[j] + tile[r * 16 + j] : tile[r * 16 + j];
        }
    }

    /// <summary>
    /// 8 rows × 32 columns: c[r] += x[r, k] · panel[k, 0..32] for k = 0 … K−1, in 512-bit vectors. Rows past <paramref name="rows"/> repeat
    /// the last valid row (computed, not stored); columns past <paramref name="cols"/> are not stored. Asks for the K
    /// cache lines from <paramref name="prefetch"/> on (when not null), one per k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(float* x, int ldx, float* w, int k, float* y, int ldy, int rows, int cols, bool accumulate,
        float* prefetch)
    {
        var prefetching = Sse.IsSupported && prefetch != null;
        var last = rows - 1;
        float* x0 = x, x1 = x + (long)ldx * Math.Min(1, last), x2 = x + (long)ldx * Math.Min(2, last),
            x3 = x + (long)ldx * Math.Min(3, last), x4 = x + (long)ldx * Math.Min(4, last),
            x5 = x + (long)ldx * Math.Min(5, last), x6 = x + (long)ldx * Math.Min(6, last),
            x7 = x + (long)ldx * Math.Min(7, last);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        for (var kk = 0; kk < k; kk++)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            if (prefetching)
                Sse.Prefetch1(prefetch + kk * LineFloats);
            w += PanelWidth;
            var b = Vector512.Create(x0[kk]);
            c00 = Vector512.FusedMultiplyAdd(w0, b, c00);
            c01 = Vector512.FusedMultiplyAdd(w1, b, c01);
            b = Vector512.Create(x1[kk]);
            c10 = Vector512.FusedMultiplyAdd(w0, b, c10);
            c11 = Vector512.FusedMultiplyAdd(w1, b, c11);
            b = Vector512.Create(x2[kk]);
            c20 = Vector512.FusedMultiplyAdd(w0, b, c20);
            c21 = Vector512.FusedMultiplyAdd(w1, b, c21);
            b = Vector512.Create(x3[kk]);
            c30 = Vector512.FusedMultiplyAdd(w0, b, c30);
            c31 = Vector512.FusedMultiplyAdd(w1, b, c31);
            b = Vector512.Create(x4[kk]);
            c40 = Vector512.FusedMultiplyAdd(w0, b, c40);
            c41 = Vector512.FusedMultiplyAdd(w1, b, c41);
            b = Vector512.Create(x5[kk]);
            c50 = Vector512.FusedMultiplyAdd(w0, b, c50);
            c51 = Vector512.FusedMultiplyAdd(w1, b, c51);
            b = Vector512.Create(x6[kk]);
            c60 = Vector512.FusedMultiplyAdd(w0, b, c60);
            c61 = Vector512.FusedMultiplyAdd(w1, b, c61);
            b = Vector512.Create(x7[kk]);
            c70 = Vector512.FusedMultiplyAdd(w0, b, c70);
            c71 = Vector512.FusedMultiplyAdd(w1, b, c71);
        }
        if (cols == PanelWidth)
        {
            Store(y, c00, c01, accumulate);
            if (rows > 1) Store(y + ldy, c10, c11, accumulate);
            if (rows > 2) Store(y + 2L * ldy, c20, c21, accumulate);
            if (rows > 3) Store(y + 3L * ldy, c30, c31, accumulate);
            if (rows > 4) Store(y + 4L * ldy, c40, c41, accumulate);
            if (rows > 5) Store(y + 5L * ldy, c50, c51, accumulate);
            if (rows > 6) Store(y + 6L * ldy, c60, c61, accumulate);
            if (rows > 7) Store(y + 7L * ldy, c70, c71, accumulate);
            return;
        }
        var tile = stackalloc float[RowBlock * PanelWidth];
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208); c70.Store(tile + 224); c71.Store(tile + 240);
        for (var r = 0; r < rows; r++)
        {
            var dst = y + (long)r * ldy;
            for (var j = 0; j < cols; j++)
                dst[j] = accumulate ? dst[j] + tile[r * PanelWidth + j] : tile[r * PanelWidth + j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> lo, Vector512<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector512.Load(y);
            hi += Vector512.Load(y + 16);
        }
        lo.Store(y);
        hi.Store(y + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector256.Load(y);
            hi += Vector256.Load(y + 8);
        }
        lo.Store(y);
        hi.Store(y + 8);
    }
}
