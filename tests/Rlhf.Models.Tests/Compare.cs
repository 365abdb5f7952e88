using System.Text;

namespace Rlhf.Models.Tests;

/// <summary>Largest differences between two backends' tensors, as a printable table.</summary>
internal static class Compare
{
    /// <summary>max |a − b| / max(max |b|, floor) over a pair of arrays.</summary>
    public static (double MaxAbs, double Relative, int At) Difference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double floor = 1e-6)
    {
        Assert.Equal(b.Length, a.Length);
        double maxDiff = 0, maxRef = 0;
        var at = -1;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs((double)a[i] - b[i]);
            if (!(d <= maxDiff))
            {
                maxDiff = d;
                at = i;
            }
            maxRef = Math.Max(maxRef, Math.Abs(b[i]));
        }
        return (maxDiff, maxDiff / Math.Max(maxRef, floor), at);
    }

    /// <summary>One row per tensor: name, elements, max |Δ|, relative Δ, where, and both values there.</summary>
    public static (string Table, double WorstRelative, string WorstName) Table(IReadOnlyList<TensorData> actual, IReadOnlyList<TensorData> expected)
    {
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        var text = new StringBuilder($"{"tensor",-48} {"n",8} {"max|Δ|",10} {"rel",10}  at: torch vs native\n");
        double worst = 0;
        var worstName = "";
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Shape, actual[i].Shape);
            var (abs, rel, at) = Difference(actual[i].Data, expected[i].Data);
            text.Append($"{expected[i].Name,-48} {expected[i].Data.Length,8} {abs,10:E2} {rel,10:E2}");
            if (at >= 0)
                text.Append($"  [{at}]: {actual[i].Data[at]:G7} vs {expected[i].Data[at]:G7}");
            text.Append('\n');
            if (rel > worst)
            {
                worst = rel;
                worstName = expected[i].Name;
            }
        }
        return (text.ToString(), worst, worstName);
    }

    public static float[] Flat(float[][] rows) => rows.SelectMany(r => r).ToArray();
}
