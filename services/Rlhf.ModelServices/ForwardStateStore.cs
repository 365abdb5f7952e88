using Grpc.Core;
using Rlhf.Contracts;

namespace Rlhf.ModelServices;

/// <summary>
/// Holds the activations of forward passes kept for Backward, keyed by a random forward id. Bounded in bytes: a
/// forward that would exceed the budget evicts the oldest entries first, and one larger than the whole budget is
/// refused with RESOURCE_EXHAUSTED. Entries expire <see cref="Expiry"/> after they were stored. Thread-safe.
/// </summary>
/// <typeparam name="TState">The model's kept activations.</typeparam>
public sealed class ForwardStateStore<TState>
    where TState : class
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();
    private readonly TimeProvider _time;
    private readonly Action<TState>? _release;
    private long _bytes;

    /// <param name="capacityBytes">Budget for kept activations, bytes (≥ 1).</param>
    /// <param name="expiry">Lifetime of an entry.</param>
    /// <param name="time">Clock (tests move it).</param>
    /// <param name="release">Called for every entry that leaves the store without being taken.</param>
    public ForwardStateStore(long capacityBytes, TimeSpan expiry, TimeProvider? time = null, Action<TState>? release = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1);
        CapacityBytes = capacityBytes;
        Expiry = expiry;
        _time = time ?? TimeProvider.System;
        _release = release;
    }

    /// <summary>Budget, bytes.</summary>
    public long CapacityBytes { get; }

    /// <summary>Lifetime of an entry.</summary>
    public TimeSpan Expiry { get; }

    /// <summary>Bytes held now.</summary>
    public long BytesHeld { get { lock (_gate) { return _bytes; } } }

    /// <summary>Entries held now.</summary>
    public int Count { get { lock (_gate) { return _entries.Count; } } }

    /// <summary>Stores <paramref name="state"/> of <paramref name="bytes"/> bytes and returns its new forward id.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the state alone exceeds the budget.</exception>
    public string Add(TState state, long bytes)
    {
        if (bytes > CapacityBytes)
        {
            _release?.Invoke(state);
            throw Rpc.Error(StatusCode.ResourceExhausted,
                $"the forward pass keeps {bytes} bytes of activations, more than the store's {CapacityBytes}; use smaller minibatches or raise Model:ForwardStoreBytes");
        }
        var id = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            Sweep();
            while (_bytes + bytes > CapacityBytes && _order.First is { } oldest)
                Evict(oldest.Value);
            var node = _order.AddLast(id);
            _entries[id] = new Entry(state, bytes, _time.GetUtcNow() + Expiry, node);
            _bytes += bytes;
        }
        return id;
    }

    /// <summary>Removes and returns the state of <paramref name="forwardId"/>.</summary>
    /// <exception cref="RpcException">NOT_FOUND when the id is unknown, expired, evicted or already used.</exception>
    public TState Take(string forwardId)
    {
        lock (_gate)
        {
            Sweep();
            if (!_entries.Remove(forwardId, out var entry))
                throw NotFound(forwardId);
            _order.Remove(entry.Node);
            _bytes -= entry.Bytes;
            return entry.State;
        }
    }

    /// <summary>Returns the state of <paramref name="forwardId"/> without removing it (to validate a request first).</summary>
    /// <exception cref="RpcException">NOT_FOUND when the id is unknown, expired, evicted or already used.</exception>
    public TState Peek(string forwardId)
    {
        lock (_gate)
        {
            Sweep();
            return _entries.TryGetValue(forwardId, out var entry) ? entry.State : throw NotFound(forwardId);
        }
    }

    /// <summary>Drops every entry (e.g. when the weights change under them).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            while (_order.First is { } n)
                Evict(n.Value);
        }
    }

    private RpcException NotFound(string forwardId) => Rpc.Error(StatusCode.NotFound,
        $"forward_id '{forwardId}' is unknown, expired (after {Expiry.TotalSeconds:0} s), evicted, or already used by Backward; run ComputeLogProbs/ComputeValues with keep_for_backward again");

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        while (_order.First is { } n && _entries[n.Value].ExpiresAt <= now)
            Evict(n.Value);
    }

    private void Evict(string id)
    {
        var entry = _entries[id];
        _entries.Remove(id);
        _order.Remove(entry.Node);
        _bytes -= entry.Bytes;
        _release?.Invoke(entry.State);
    }

    private sealed record Entry(TState State, long Bytes, DateTimeOffset ExpiresAt, LinkedListNode<string> Node);
}
