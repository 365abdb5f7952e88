using Rlhf.Engine.Internal;

namespace Rlhf.Engine.Tests.Model;

/// <summary>The KV-cache decoding kernels against naive double-precision references.</summary>
public sealed unsafe class DecodeKernelTests
{
    [Theory]
    [InlineData(1, 32, 8, false, true)]
    [InlineData(8, 64, 64, false, true)]
    [InlineData(13, 172, 64, true, true)]
    [InlineData(32, 40, 288, false, true)]
    [InlineData(5, 17, 3, true, true)]
    [InlineData(1, 32, 8, false, false)]
    [InlineData(8, 64, 64, false, false)]
    [InlineData(13, 172, 64, true, false)]
    [InlineData(32, 40, 288, false, false)]
    [InlineData(5, 17, 3, true, false)]
    [InlineData(6, 45, 20, true, false)]  // the 256-bit kernel's tiles: 4 + 2 rows, 16 + 13 columns in the last panel
    public void PackedGemm_MatchesNaiveProduct(int m, int n, int k, bool accumulate, bool wide)
    {
        // Arrange
        var rng = new Random(m * 1000 + n);
        var x = Random(rng, m * k);
        var w = Random(rng, n * k);
        var y0 = Random(rng, m * n);
        var y = (float[])y0.Clone();
        var packed = new float[PackedGemm.PackedLength(n, k)];

        // Act
        fixed (float* px = x, pw = w, py = y, pp = packed)
        {
            PackedGemm.Pack(pw, n, k, pp, 0, PackedGemm.Panels(n));
            PackedGemm.Multiply(py, n, px, k, pp, m, n, k, accumulate, 0, PackedGemm.Items(m, n), wide);
        }

        // Assert
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double expected = accumulate ? y0[i * n + j] : 0;
                for (var t = 0; t < k; t++)
                    expected += (double)x[i * k + t] * w[j * k + t];
                Assert.True(Math.Abs(expected - y[i * n + j]) <= 1e-5 * Math.Sqrt(k) * 4,
                    $"y[{i},{j}] = {y[i * n + j]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PackedGemm_RowResults_DoNotDependOnOtherRowsOrOnTheWorkSplit(bool wide)
    {
        // Arrange: 19 rows in one product, split in two item ranges, against the same rows one at a time
        const int m = 19, n = 96, k = 72;
        var rng = new Random(3);
        var x = Random(rng, m * k);
        var w = Random(rng, n * k);
        var all = new float[m * n];
        var single = new float[m * n];
        var packed = new float[PackedGemm.PackedLength(n, k)];

        // Act
        fixed (float* px = x, pw = w, pa = all, ps = single, pp = packed)
        {
            PackedGemm.Pack(pw, n, k, pp, 0, 2);
            PackedGemm.Pack(pw, n, k, pp, 2, PackedGemm.Panels(n));
            var items = PackedGemm.Items(m, n);
            PackedGemm.Multiply(pa, n, px, k, pp, m, n, k, false, 0, items / 3, wide);
            PackedGemm.Multiply(pa, n, px, k, pp, m, n, k, false, items / 3, items, wide);
            for (var r = 0; r < m; r++)
                PackedGemm.Multiply(ps + r * n, n, px + r * k, k, pp, 1, n, k, false, 0, PackedGemm.Items(1, n), wide);
        }

        // Assert: bitwise
        Assert.Equal(single, all);
    }

    [Theory]
    [InlineData(19, 96, 72, false)]
    [InlineData(13, 172, 64, true)]
    [InlineData(3, 45, 288, true)]
    public void PackedGemm_Avx512AndAvx2Kernels_AgreeBitwise(int m, int n, int k, bool accumulate)
    {
        // Arrange: generation promises the same results on any thread count on either kind of machine, and
        // PackedGemm.Multiply picks the kernel by hardware; each runs here (emulated where the width is missing)
        var rng = new Random(m * 7 + n);
        var x = Random(rng, m * k);
        var w = Random(rng, n * k);
        var wide = Random(rng, m * n);
        var narrow = (float[])wide.Clone();
        var packed = new float[PackedGemm.PackedLength(n, k)];

        // Act
        fixed (float* px = x, pw = w, pwide = wide, pnarrow = narrow, pp = packed)
        {
            PackedGemm.Pack(pw, n, k, pp, 0, PackedGemm.Panels(n));
            PackedGemm.Multiply(pwide, n, px, k, pp, m, n, k, accumulate, 0, PackedGemm.Items(m, n), wide: true);
            PackedGemm.Multiply(pnarrow, n, px, k, pp, m, n, k, accumulate, 0, PackedGemm.Items(m, n), wide: false);
        }

        // Assert
        Assert.Equal(wide, narrow);
    }

    [Theory]
    [InlineData(8, 4, 8, 0)]
    [InlineData(8, 4, 8, 15)]
    [InlineData(8, 4, 8, 16)]
    [InlineData(8, 4, 8, 1)]
    [InlineData(8, 4, 8, 2)]
    [InlineData(8, 4, 8, 31)]
    [InlineData(8, 4, 8, 64)]
    [InlineData(8, 2, 8, 20)]
    [InlineData(8, 8, 8, 10)]
    [InlineData(6, 6, 48, 64)]
    [InlineData(4, 2, 6, 40)]
    [InlineData(2, 1, 32, 100)]
    public void AttentionRow_MatchesNaiveSoftmaxAttention(int nh, int nkv, int hs, int pos)
    {
        // Arrange: positions 0..pos written through CacheWrite; the rest of the cache holds NaN, which must never leak
        var stride = (pos + 1 + 15) / 16 * 16 + 16;
        var rng = new Random(nh * 100 + pos);
        var kv = nkv * hs;
        var keys = Random(rng, (pos + 1) * kv);
        var values = Random(rng, (pos + 1) * kv);
        var q = Random(rng, nh * hs);
        var kcache = Enumerable.Repeat(float.NaN, kv * stride).ToArray();
        var vcache = Enumerable.Repeat(float.NaN, kv * stride).ToArray();
        var output = new float[nh * hs];
        var scratch = new float[2 * stride];

        // Act
        fixed (float* pk = kcache, pv = vcache, pkeys = keys, pvals = values, pq = q, po = output, ps = scratch)
        {
            for (var j = 0; j <= pos; j++)
                DecodeKernels.CacheWrite(pk, pv, pkeys + j * kv, pvals + j * kv, j, nkv, hs, stride);
            DecodeKernels.AttentionRow(po, pq, pk, pv, ps, pos, nh, nkv, hs, stride);
        }

        // Assert
        for (var h = 0; h < nh; h++)
        {
            var g = h / (nh / nkv);
            var scores = new double[pos + 1];
            for (var j = 0; j <= pos; j++)
            {
                for (var d = 0; d < hs; d++)
                    scores[j] += (double)q[h * hs + d] * keys[j * kv + g * hs + d];
                scores[j] /= Math.Sqrt(hs);
            }
            var max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            var sum = weights.Sum();
            for (var d = 0; d < hs; d++)
            {
                var expected = 0.0;
                for (var j = 0; j <= pos; j++)
                    expected += weights[j] / sum * values[j * kv + g * hs + d];
                Assert.True(Math.Abs(expected - output[h * hs + d]) < 1e-5, $"head {h} dim {d}: {output[h * hs + d]} vs {expected}");
            }
        }
    }

    [Fact]
    public void Draw_PicksTheIndexWhoseRunningTotalFirstExceedsTheTarget()
    {
        // Arrange: 40 weights of 1 (so whole blocks of 16 are skipped), zeros around them
        var w = new float[70];
        for (var i = 20; i < 60; i++)
            w[i] = 1f;

        // Act + Assert
        Assert.Equal(20, DecodeKernels.Draw(w, 40f, 0f));
        Assert.Equal(39, DecodeKernels.Draw(w, 40f, 0.49f));
        Assert.Equal(40, DecodeKernels.Draw(w, 40f, 0.5f));
        Assert.Equal(59, DecodeKernels.Draw(w, 40f, 0.9999f));
        Assert.Equal(59, DecodeKernels.Draw(w, 41f, 0.9999f)); // target past the total (rounding): the last positive weight

        // chunks of 64 skipped whole, then blocks of 16, then single weights
        var ones = Enumerable.Repeat(1f, 300).ToArray();
        Assert.Equal(0, DecodeKernels.Draw(ones, 300f, 0f));
        Assert.Equal(150, DecodeKernels.Draw(ones, 300f, 0.5f));
        Assert.Equal(200, DecodeKernels.Draw(ones, 300f, 200.5f / 300f));
        Assert.Equal(299, DecodeKernels.Draw(ones, 300f, 0.9999f));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(47)]
    [InlineData(512)]
    [InlineData(1000)]
    public void ExpShifted_MatchesDoublePrecisionSoftmaxNumerators(int n)
    {
        // Arrange: e starts as NaN, so an element the kernel skips shows
        var z = Random(new Random(n), n).Select(v => 8f * v).ToArray();
        var shift = z.Max();
        var e = Enumerable.Repeat(float.NaN, n).ToArray();

        // Act
        var sum = Kernels.ExpShifted(z, shift, e);

        // Assert: every element, and a sum that counts each once
        var expected = z.Select(v => Math.Exp(v - (double)shift)).ToArray();
        for (var i = 0; i < n; i++)
            Assert.True(Math.Abs(e[i] - expected[i]) <= 1e-6 * expected[i] + 1e-30, $"e[{i}] = {e[i]}, expected {expected[i]}");
        Assert.True(Math.Abs(sum - expected.Sum()) <= 1e-5 * expected.Sum(), $"sum {sum}, expected {expected.Sum()}");
    }

    [Fact]
    public void SpinTeam_RunsEveryMemberThroughItsBarriers_AndRethrowsAMemberFailure()
    {
        // Arrange
        using var team = new SpinTeam(3);
        var seen = new int[3];

        // Act: each member writes, waits, then reads what the others wrote before the barrier
        var sums = new int[3];
        team.Run(member =>
        {
            seen[member] = member + 1;
            team.Barrier();
            sums[member] = seen.Sum();
            team.Barrier();
        });

        // Assert
        Assert.All(sums, s => Assert.Equal(6, s));
        var e = Assert.Throws<InvalidOperationException>(() => team.Run(member =>
        {
            if (member == 2)
                throw new InvalidOperationException("member 2 failed");
            team.Barrier();
        }));
        Assert.Equal("member 2 failed", e.Message);
    }

    private static float[] Random(Random rng, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
