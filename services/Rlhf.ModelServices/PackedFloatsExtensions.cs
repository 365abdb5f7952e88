using System.Diagnostics.CodeAnalysis;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.ModelServices;

/// <summary>Conversions between ragged per-token arrays and the wire's <see cref="PackedFloats"/>.</summary>
public static class PackedFloatsExtensions
{
    /// <summary>Packs rows (one per sequence) into one array plus lengths.</summary>
    public static PackedFloats Pack(IReadOnlyList<float[]> rows)
    {
        var packed = new PackedFloats();
        foreach (var row in rows)
        {
            packed.Values.Add(row);
            packed.Lengths.Add(row.Length);
        }
        return packed;
    }

    /// <summary>Whether a field is given: a null or empty value (no values and no lengths) means "not given".</summary>
    public static bool IsGiven([NotNullWhen(true)] this PackedFloats? packed) => packed is not null && (packed.Values.Count > 0 || packed.Lengths.Count > 0);

    /// <summary>
    /// Unpacks into rows, checking that there is one row per sequence with exactly <paramref name="expectedLengths"/>[i]
    /// finite entries.
    /// </summary>
    /// <param name="packed">The wire value; one not given (<see cref="IsGiven"/>) returns null.</param>
    /// <param name="expectedLengths">Response length of each sequence of the forward pass. Shape: (B,).</param>
    /// <param name="field">Field name for error messages, e.g. <c>grad_logprobs</c>.</param>
    /// <exception cref="RpcException">INVALID_ARGUMENT for a count, length or non-finite mismatch, naming the sequence.</exception>
    public static float[][]? UnpackChecked(this PackedFloats? packed, IReadOnlyList<int> expectedLengths, string field)
    {
        if (!packed.IsGiven())
            return null;
        if (packed.Lengths.Count != expectedLengths.Count)
            throw Rpc.Error(StatusCode.InvalidArgument,
                $"{field} has {packed.Lengths.Count} sequences but the forward pass had {expectedLengths.Count}");
        var rows = new float[expectedLengths.Count][];
        var offset = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var n = packed.Lengths[i];
            if (n != expectedLengths[i])
                throw Rpc.Error(StatusCode.InvalidArgument,
                    $"{field}: sequence {i} has {n} entries but its response has {expectedLengths[i]} tokens (one entry per response token)");
            if (offset + n > packed.Values.Count)
                throw Rpc.Error(StatusCode.InvalidArgument,
                    $"{field}: lengths sum to more than the {packed.Values.Count} values given");
            var row = new float[n];
            for (var t = 0; t < n; t++)
            {
                var v = packed.Values[offset + t];
                if (!float.IsFinite(v))
                    throw Rpc.Error(StatusCode.InvalidArgument,
                        $"{field}: sequence {i}, token {t} is {v}; gradients must be finite (check the loss for overflow)");
                row[t] = v;
            }
            rows[i] = row;
            offset += n;
        }
        if (offset != packed.Values.Count)
            throw Rpc.Error(StatusCode.InvalidArgument,
                $"{field}: lengths sum to {offset} but {packed.Values.Count} values were given");
        return rows;
    }
}
