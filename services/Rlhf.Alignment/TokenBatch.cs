namespace Rlhf.Alignment;

/// <summary>
/// A ragged batch of per-token values: B sequences of response tokens stored as one flat <see cref="Data"/> array
/// (all tokens of sequence 0, then sequence 1, …) and <see cref="Offsets"/> of length B + 1, so sequence i occupies
/// <c>Data[Offsets[i]..Offsets[i + 1]]</c>. This is what "masked (batch × tokens)" means in this library: exactly the
/// response tokens, one entry each, never padding (see ARCHITECTURE.md, the per-token contract).
/// </summary>
/// <remarks>
/// Precision: the library computes in <c>double</c> throughout (reductions, exponentials, finite-difference checks);
/// the wire carries <c>float</c>, so use <see cref="FromRagged(float[][])"/> and <see cref="ToFloatArrays"/> at the
/// boundary. Gradients are returned as a <see cref="TokenBatch"/> with the same offsets as the input they
/// differentiate. Instances are mutable only through <see cref="Data"/>; the offsets are shared and never modified.
/// </remarks>
public sealed class TokenBatch
{
    private readonly int[] _offsets;

    /// <summary>Wraps existing storage. <paramref name="offsets"/> must start at 0, be non-decreasing and end at
    /// <c>data.Length</c>; otherwise <see cref="ArgumentException"/>.</summary>
    public TokenBatch(double[] data, int[] offsets)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(offsets);
        if (offsets.Length < 1 || offsets[0] != 0 || offsets[^1] != data.Length)
        {
            throw new ArgumentException(
                $"offsets must start at 0 and end at data.Length ({data.Length}).", nameof(offsets));
        }

        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                throw new ArgumentException($"offsets must be non-decreasing (index {i}).", nameof(offsets));
            }
        }

        Data = data;
        _offsets = offsets;
    }

    /// <summary>All tokens of all sequences, concatenated. Shape (N,) with N = <see cref="TotalTokens"/>.</summary>
    public double[] Data { get; }

    /// <summary>Start of each sequence in <see cref="Data"/>, plus the end: shape (B + 1,).</summary>
    public ReadOnlySpan<int> Offsets => _offsets;

    /// <summary>Number of sequences B.</summary>
    public int BatchSize => _offsets.Length - 1;

    /// <summary>Number of response tokens N over the whole batch.</summary>
    public int TotalTokens => Data.Length;

    /// <summary>Number of response tokens |o_i| of sequence <paramref name="i"/>.</summary>
    public int Length(int i) => _offsets[i + 1] - _offsets[i];

    /// <summary>The tokens of sequence <paramref name="i"/>.</summary>
    public Span<double> Row(int i) => Data.AsSpan(_offsets[i], Length(i));

    /// <summary>A zero-filled batch with the same layout (shares the offsets).</summary>
    public TokenBatch ZerosLike() => new(new double[Data.Length], _offsets);

    /// <summary>A copy with the same layout.</summary>
    public TokenBatch Clone() => new((double[])Data.Clone(), _offsets);

    /// <summary>Same layout with new data of length N.</summary>
    public TokenBatch WithData(double[] data) => new(data, _offsets);

    /// <summary>True when <paramref name="other"/> has the same number of sequences and the same lengths.</summary>
    public bool HasSameLayout(TokenBatch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(_offsets, other._offsets) || _offsets.AsSpan().SequenceEqual(other._offsets);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> when the layouts
    /// differ.</summary>
    public void EnsureSameLayout(TokenBatch other, string name)
    {
        ArgumentNullException.ThrowIfNull(other, name);
        if (!HasSameLayout(other))
        {
            throw new ArgumentException(
                $"{name} must have the same sequences and lengths as the first argument.", name);
        }
    }

    /// <summary>One value per sequence, repeated on each of its tokens (e.g. GRPO/RLOO advantages).</summary>
    /// <param name="perSequence">Shape (B,).</param>
    public TokenBatch Broadcast(ReadOnlySpan<double> perSequence)
    {
        if (perSequence.Length != BatchSize)
        {
            throw new ArgumentException($"expected {BatchSize} values, got {perSequence.Length}.",
                nameof(perSequence));
        }

        var data = new double[TotalTokens];
        for (var i = 0; i < BatchSize; i++)
        {
            data.AsSpan(_offsets[i], Length(i)).Fill(perSequence[i]);
        }

        return new TokenBatch(data, _offsets);
    }

    /// <summary>Sum over the tokens of each sequence: shape (B,).</summary>
    public double[] SequenceSums()
    {
        var sums = new double[BatchSize];
        for (var i = 0; i < BatchSize; i++)
        {
            var s = 0.0;
            foreach (var v in Row(i))
            {
                s += v;
            }

            sums[i] = s;
        }

        return sums;
    }

    /// <summary>Builds a batch from jagged rows (one row per sequence).</summary>
    public static TokenBatch FromRagged(double[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var offsets = BuildOffsets(rows.Length, i => rows[i].Length);
        var data = new double[offsets[^1]];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i].CopyTo(data, offsets[i]);
        }

        return new TokenBatch(data, offsets);
    }

    /// <summary>Builds a batch from jagged <c>float</c> rows as they come off the wire.</summary>
    public static TokenBatch FromRagged(float[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var offsets = BuildOffsets(rows.Length, i => rows[i].Length);
        var data = new double[offsets[^1]];
        for (var i = 0; i < rows.Length; i++)
        {
            for (var t = 0; t < rows[i].Length; t++)
            {
                data[offsets[i] + t] = rows[i][t];
            }
        }

        return new TokenBatch(data, offsets);
    }

    /// <summary>
    /// Gathers the response tokens out of a padded row-major (B, T) buffer: row i contributes its first
    /// <c>lengths[i]</c> entries (right padding, the usual mask layout); the padding is dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is not B·T long or a length exceeds T.</exception>
    public static TokenBatch FromPadded(ReadOnlySpan<float> padded, int tokensPerRow, ReadOnlySpan<int> lengths)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerRow);
        if (padded.Length != lengths.Length * tokensPerRow)
        {
            throw new ArgumentException(
                $"padded has {padded.Length} entries, expected {lengths.Length} x {tokensPerRow}.", nameof(padded));
        }

        var batch = Zeros(lengths);
        for (var i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] > tokensPerRow)
            {
                throw new ArgumentException($"sequence {i} is longer than {tokensPerRow}.", nameof(lengths));
            }

            var row = batch.Row(i);
            for (var t = 0; t < row.Length; t++)
            {
                row[t] = padded[i * tokensPerRow + t];
            }
        }

        return batch;
    }

    /// <summary>A zero-filled batch with the given sequence lengths.</summary>
    public static TokenBatch Zeros(ReadOnlySpan<int> lengths)
    {
        var copy = lengths.ToArray();
        var offsets = BuildOffsets(copy.Length, i => copy[i]);
        return new TokenBatch(new double[offsets[^1]], offsets);
    }

    /// <summary>Jagged <c>float</c> rows, one per sequence, for the wire (e.g. <c>grad_logprobs</c>).</summary>
    public float[][] ToFloatArrays()
    {
        var rows = new float[BatchSize][];
        for (var i = 0; i < BatchSize; i++)
        {
            var row = Row(i);
            rows[i] = new float[row.Length];
            for (var t = 0; t < row.Length; t++)
            {
                rows[i][t] = (float)row[t];
            }
        }

        return rows;
    }

    private static int[] BuildOffsets(int count, Func<int, int> length)
    {
        var offsets = new int[count + 1];
        for (var i = 0; i < count; i++)
        {
            var n = length(i);
            if (n < 0)
            {
                throw new ArgumentException($"sequence {i} has a negative length.");
            }

            offsets[i + 1] = checked(offsets[i] + n);
        }

        return offsets;
    }
}
