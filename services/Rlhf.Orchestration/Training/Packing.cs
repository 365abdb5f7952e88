using Rlhf.Alignment;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>Conversions between the wire's <see cref="PackedFloats"/> and the alignment math's <see cref="TokenBatch"/>.</summary>
public static class Packing
{
    /// <summary>A token batch from packed per-token floats (same layout: one row per sequence).</summary>
    public static TokenBatch ToTokenBatch(this PackedFloats packed)
    {
        var offsets = new int[packed.Lengths.Count + 1];
        for (var i = 0; i < packed.Lengths.Count; i++)
            offsets[i + 1] = offsets[i] + packed.Lengths[i];
        var data = new double[packed.Values.Count];
        for (var t = 0; t < data.Length; t++)
            data[t] = packed.Values[t];
        return new TokenBatch(data, offsets);
    }

    /// <summary>Packed floats from a token batch (values rounded to float32).</summary>
    public static PackedFloats ToPacked(this TokenBatch batch)
    {
        var packed = new PackedFloats();
        for (var i = 0; i < batch.BatchSize; i++)
            packed.Lengths.Add(batch.Length(i));
        var values = new float[batch.TotalTokens];
        for (var t = 0; t < values.Length; t++)
            values[t] = (float)batch.Data[t];
        packed.Values.Add(values);
        return packed;
    }

    /// <summary>The rows <paramref name="indices"/> of <paramref name="batch"/>, in that order.</summary>
    public static TokenBatch Select(this TokenBatch batch, IReadOnlyList<int> indices)
    {
        var offsets = new int[indices.Count + 1];
        for (var k = 0; k < indices.Count; k++)
            offsets[k + 1] = offsets[k] + batch.Length(indices[k]);
        var data = new double[offsets[^1]];
        for (var k = 0; k < indices.Count; k++)
            batch.Row(indices[k]).CopyTo(data.AsSpan(offsets[k]));
        return new TokenBatch(data, offsets);
    }
}
