namespace Rlhf.Tokenizers;

/// <summary>
/// Score-ordered BPE merging, the rule of llama2.c's <c>run.c</c> and of SentencePiece's BPE model
/// (<c>bpe_model.cc</c>): repeatedly merge the adjacent pair whose concatenation is a piece with the highest score,
/// the leftmost among equal scores, until no pair merges. Shared by <see cref="Llama2Tokenizer"/> and
/// <see cref="SentencePieceTokenizer"/>. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Every way to write a piece as the concatenation of two pieces is precomputed as a table from id pairs to ids
/// (run.c looks the concatenated string up at encode time instead), and the merges run through a heap in
/// O(n log n).
/// </remarks>
internal sealed class ScoredBpeMerger
{
    private static readonly MergeOrder s_mergeOrder = new();
    private readonly float[] _scores;
    private readonly int[] _canonical; // id → the first id with the same piece
    private readonly Dictionary<long, int> _merges = []; // (canonical left, canonical right) → id of the concatenated piece

    /// <param name="keys">Each id's piece text.</param>
    /// <param name="scores">Each id's merge score (higher merges first); pieces scoring -1e10 or less never form.</param>
    /// <param name="lookup">Piece text → the first id with that text.</param>
    /// <param name="mergeable">Which ids may take part in a merge, as either half or as the result; null for all.</param>
    public ScoredBpeMerger(IReadOnlyList<string> keys, float[] scores, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup,
        Func<int, bool>? mergeable)
    {
        _scores = scores;
        _canonical = new int[keys.Count];
        for (var id = 0; id < keys.Count; id++)
            _canonical[id] = lookup[keys[id]];
        for (var id = 0; id < keys.Count; id++)
        {
            if (mergeable is not null && !mergeable(id))
                continue;
            var key = keys[id].AsSpan();
            for (var split = 1; split < key.Length; split++)
            {
                if (lookup.TryGetValue(key[..split], out var left) && lookup.TryGetValue(key[split..], out var right)
                    && (mergeable is null || (mergeable(left) && mergeable(right))))
                    _merges.TryAdd(PairKey(left, right), _canonical[id]);
            }
        }
    }

    private static long PairKey(int canonicalLeft, int canonicalRight) => ((long)canonicalLeft << 32) | (uint)canonicalRight;

    /// <summary>
    /// Merges <paramref name="ids"/> in place: the tokens form a linked list and candidate pairs wait in a heap
    /// ordered by (score descending, left position ascending); entries made stale by an earlier merge are recognised
    /// by per-position version stamps and dropped.
    /// </summary>
    /// <returns>The number of tokens left at the start of <paramref name="ids"/>.</returns>
    public int Merge(Span<int> ids)
    {
        var n = ids.Length;
        if (n < 2)
            return n;
        var next = new int[n];
        var previous = new int[n];
        var version = new int[n];
        for (var i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            previous[i] = i - 1;
        }
        var queue = new PriorityQueue<(int Left, int Right, int Merged, int LeftVersion, int RightVersion), (float Score, int Left)>(n, s_mergeOrder);
        void Push(Span<int> tokens, int left, int right)
        {
            if (_merges.TryGetValue(PairKey(_canonical[tokens[left]], _canonical[tokens[right]]), out var merged) && _scores[merged] > -1e10f)
                queue.Enqueue((left, right, merged, version[left], version[right]), (_scores[merged], left));
        }
        for (var i = 0; i + 1 < n; i++)
            Push(ids, i, i + 1);
        while (queue.TryDequeue(out var candidate, out _))
        {
            var (left, right, merged, leftVersion, rightVersion) = candidate;
            if (version[left] != leftVersion || version[right] != rightVersion || next[left] != right)
                continue;
            ids[left] = merged;
            version[left]++;
            version[right]++; // removed
            var after = next[right];
            next[left] = after;
            if (after >= 0)
                previous[after] = left;
            if (previous[left] >= 0)
                Push(ids, previous[left], left);
            if (after >= 0)
                Push(ids, left, after);
        }
        var count = 0;
        for (var i = 0; i >= 0; i = next[i]) // position 0 is never removed: only right halves are
            ids[count++] = ids[i];
        return count;
    }

    /// <summary>Heap order of merge candidates: higher score first, then the leftmost pair.</summary>
    private sealed class MergeOrder : IComparer<(float Score, int Left)>
    {
        public int Compare((float Score, int Left) x, (float Score, int Left) y)
        {
            var byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }
}
