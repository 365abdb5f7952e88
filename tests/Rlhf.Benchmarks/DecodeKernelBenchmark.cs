using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Rlhf.Engine;
using Rlhf.Engine.Internal;

namespace Rlhf.Benchmarks;

/// <summary>
/// The pieces of a batched KV-cache decoding step, one thread each, so the engine table's generation rows can be read
/// against the machine: the fp32 FMA rate a core reaches with operands in registers, the packed decoding GEMM beside
/// OpenBLAS at the step's shapes, the attention kernel per head, and how fast one and two cores stream memory.
/// </summary>
internal static unsafe class DecodeKernelBenchmark
{
    public static int Run(string[] args)
    {
        var minSeconds = args.Contains("--quick") ? 0.1 : 0.5;
        var culture = CultureInfo.InvariantCulture;
        var peak = FmaPeak(minSeconds);
        Console.WriteLine("## Decoding kernels (one thread unless stated)");
        Console.WriteLine();
        Console.WriteLine($"Measured fp32 FMA peak of one core (12 independent 512-bit FMA chains in registers): {peak.ToString("0.0", culture)} GFLOP/s");
        Console.WriteLine();
        Console.WriteLine("| y (M×N) = x (M×K) · Wᵀ, M×N×K | what | OpenBLAS GFLOP/s | packed kernel GFLOP/s | packed / peak |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        var blas = Blas.OpenBlas;
        blas.SetThreads(1);
        foreach (var (m, n, k, what) in new[]
        {
            (32, 288, 288, "15M q/o projection, batch 32"),
            (32, 768, 288, "15M gate/up projection"),
            (32, 288, 768, "15M down projection"),
            (32, 32000, 288, "15M LM head"),
            (16, 172, 64, "stories260K gate/up, 16 rows (one thread's half)"),
            (16, 64, 172, "stories260K down projection"),
            (16, 512, 64, "stories260K LM head"),
        })
        {
            var x = Filled(m * k, 0.01f);
            var w = Filled(n * k, 0.02f);
            var y = Filled(m * n, 0f);
            var packed = Filled((int)PackedGemm.PackedLength(n, k), 0f);
            fixed (float* px = x, pw = w, py = y, pp = packed)
            {
                float* xp = px, wp = pw, yp = py, ppk = pp;
                PackedGemm.Pack(wp, n, k, ppk, 0, PackedGemm.Panels(n));
                var tBlas = Measure(() => blas.Sgemm(false, true, m, n, k, 1f, xp, k, wp, k, 0f, yp, n), minSeconds);
                var tPacked = Measure(() => PackedGemm.Multiply(yp, n, xp, k, ppk, m, n, k, false, 0, PackedGemm.Items(m, n)), minSeconds);
                double flops = 2.0 * m * n * k, gBlas = flops / tBlas / 1e9, gPacked = flops / tPacked / 1e9;
                Console.WriteLine($"| {m}×{n}×{k} | {what} | {gBlas.ToString("0.0", culture)} | {gPacked.ToString("0.0", culture)} | {(100 * gPacked / peak).ToString("0", culture)}% |");
            }
        }
        Console.WriteLine();

        Console.WriteLine("| attention of one new position (DecodeKernels.AttentionRow) | ns per query head |");
        Console.WriteLine("|---|---:|");
        foreach (var (nh, nkv, hs, what) in new[] { (8, 4, 8, "stories260K: 8 heads, 4 kv heads, head size 8"), (6, 6, 48, "15M: 6 heads, head size 48") })
        {
            const int pos = 64, stride = 144; // the benchmark's generations average 65 cached positions; 128 new tokens + BOS
            var kv = nkv * hs;
            var kc = Filled(kv * stride, 0.01f);
            var vc = Filled(kv * stride, 0.02f);
            var q = Filled(nh * hs, 0.1f);
            var o = Filled(nh * hs, 0f);
            var scratch = Filled(2 * stride, 0f);
            fixed (float* pk = kc, pv = vc, pq = q, po = o, ps = scratch)
            {
                float* k2 = pk, v2 = pv, q2 = pq, o2 = po, s2 = ps;
                var t = Measure(() => DecodeKernels.AttentionRow(o2, q2, k2, v2, s2, pos, nh, nkv, hs, stride), minSeconds);
                Console.WriteLine($"| {what}, {pos + 1} positions | {(t / nh * 1e9).ToString("0", culture)} |");
            }
        }
        Console.WriteLine();

        Console.WriteLine("| memory read, 256 MiB streamed once | GB/s |");
        Console.WriteLine("|---|---:|");
        foreach (var threads in new[] { 1, 2 })
            Console.WriteLine($"| {threads} thread{(threads > 1 ? "s" : "")} | {ReadBandwidth(threads, minSeconds).ToString("0.0", culture)} |");
        return 0;
    }

    private static float[] Filled(int n, float value)
    {
        var a = GC.AllocateUninitializedArray<float>(n, pinned: true);
        Array.Fill(a, value);
        return a;
    }

    /// <summary>Seconds per call of a short kernel, after as long a warm-up (tiered JIT compiles it by then).</summary>
    /// <summary>Seconds per call after a warm-up of at least 0.5 s: tiered JIT needs about that long to replace a kernel's
    /// first, unoptimised code (--quick's 0.1 s measured that code: 400× too slow for attention).</summary>
    private static double Measure(Action action, double minSeconds) => Timing.Measure(action, minSeconds, Math.Max(minSeconds, 0.5));

    /// <summary>GFLOP/s of one core: 12 independent chains of 512-bit fp32 FMAs on registers, best of a few runs.</summary>
    internal static double FmaPeak(double minSeconds)
    {
        const long iterations = 20_000_000;
        var best = 0.0;
        var sink = 0f;
        for (var rep = 0; rep < 3 + (int)(minSeconds * 4); rep++)
        {
            var sw = Stopwatch.StartNew();
            sink += FmaChains(iterations);
            best = Math.Max(best, iterations * 12.0 * 32 / sw.Elapsed.TotalSeconds / 1e9);
        }
        GC.KeepAlive(sink);
        return best;
    }

    private static float FmaChains(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512<float>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
            c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (var i = 0L; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a);
            c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a);
            c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a);
            c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a);
            c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a);
            c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static double ReadBandwidth(int threads, double minSeconds)
    {
        const int floats = 64 << 20; // 256 MiB, far beyond L3
        var data = Filled(floats, 1f);
        var best = 0.0;
        fixed (float* p = data)
        {
            var at = p;
            var sums = new float[threads];
            for (var rep = 0; rep < 3 + (int)(minSeconds * 4); rep++)
            {
                var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    long lo = (long)floats * t / threads, hi = (long)floats * (t + 1) / threads;
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    for (var i = lo; i < hi; i += 64)
                    {
                        a0 += Vector512.Load(at + i);
                        a1 += Vector512.Load(at + i + 16);
                        a2 += Vector512.Load(at + i + 32);
                        a3 += Vector512.Load(at + i + 48);
                    }
                    sums[t] = Vector512.Sum(a0 + a1 + a2 + a3);
                });
                best = Math.Max(best, floats * 4.0 / sw.Elapsed.TotalSeconds / 1e9);
            }
        }
        return best;
    }
}
