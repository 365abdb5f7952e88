namespace Rlhf.Data.Tests;

public sealed class DataSplitsTests
{
    [Fact]
    public void ByFraction_TenPercentOf1000_Holds100OutDisjointAndOrdered()
    {
        var items = Enumerable.Range(0, 1000).ToArray();

        var split = DataSplits.ByFraction(items, 0.1, seed: 3);

        Assert.Equal(100, split.Eval.Count);
        Assert.Equal(900, split.Train.Count);
        Assert.Equal(items, split.Train.Concat(split.Eval).Order());
        Assert.Equal(split.Eval.Order(), split.Eval);
        Assert.NotEqual(Enumerable.Range(0, 100), split.Eval);
    }

    [Fact]
    public void ByCount_SameSeed_SameSplitOtherSeedDifferent()
    {
        var items = Enumerable.Range(0, 200).ToArray();

        var a = DataSplits.ByCount(items, 20, seed: 9);
        var b = DataSplits.ByCount(items, 20, seed: 9);
        var c = DataSplits.ByCount(items, 20, seed: 10);

        Assert.Equal(a.Eval, b.Eval);
        Assert.NotEqual(a.Eval, c.Eval);
    }

    [Fact]
    public void ByCount_AnySizeAndCount_PartitionsTheInput()
    {
        var cases = new DeterministicRandom(123);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = cases.NextInt(300);
            var k = cases.NextInt(n + 1);
            var items = Enumerable.Range(0, n).ToArray();
            var s = DataSplits.ByCount(items, k, seed: trial);
            Assert.Equal(k, s.Eval.Count);
            Assert.Equal(items, s.Train.Concat(s.Eval).Order());
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void ByFraction_OutOfRange_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.ByFraction(new[] { 1, 2 }, fraction, 0));
    }

    [Fact]
    public void ByHash_ItemsAdded_OldItemsKeepTheirSide()
    {
        var small = Enumerable.Range(0, 500).Select(i => $"item {i}").ToArray();
        var large = Enumerable.Range(0, 1500).Select(i => $"item {i}").ToArray();

        var a = DataSplits.ByHash(small, s => s, 0.3, seed: 4);
        var b = DataSplits.ByHash(large, s => s, 0.3, seed: 4);

        Assert.Equal(a.Eval, b.Eval.Where(small.Contains));
        Assert.InRange(b.Eval.Count, 1500 * 0.25, 1500 * 0.35);
    }

    [Fact]
    public void Shuffle_SameSeed_IsAReproduciblePermutation()
    {
        var a = DataSplits.Shuffle(Enumerable.Range(0, 50), 11);
        var b = DataSplits.Shuffle(Enumerable.Range(0, 50), 11);

        Assert.Equal(a, b);
        Assert.Equal(Enumerable.Range(0, 50), a.Order());
        Assert.NotEqual(Enumerable.Range(0, 50), a);
    }

    [Fact]
    public void DeterministicRandom_Seed0_MatchesSplitMix64ReferenceValues()
    {
        // reference: SplitMix64 with state 0 (Vigna's splitmix64.c) → first outputs
        var rng = new DeterministicRandom(0);

        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.NextUInt64());
    }

    [Fact]
    public void StableHash_FixedInput_FixedValueAndSeedSensitive()
    {
        // reference: seeded FNV-1a over the UTF-8 bytes, then the SplitMix64 finalizer, computed outside .NET
        Assert.Equal(0xEA38CE74D84C596CUL, StableHash.Hash("Once upon a time", 1));
        Assert.Equal(0xD1BDC91A3EE073F5UL, StableHash.Hash("Once upon a time", 2));
        Assert.Equal(0.1737086032886207, StableHash.Unit("x", 0));
    }
}
