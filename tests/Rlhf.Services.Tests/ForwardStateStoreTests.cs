using Grpc.Core;
using Rlhf.ModelServices;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>The bounded, expiring store of activations kept for Backward.</summary>
public sealed class ForwardStateStoreTests
{
    private sealed record State(string Name);

    private static (ForwardStateStore<State> Store, List<string> Released, ManualTimeProvider Clock) Create(long capacity = 100, int expirySeconds = 10)
    {
        var released = new List<string>();
        var clock = new ManualTimeProvider();
        return (new ForwardStateStore<State>(capacity, TimeSpan.FromSeconds(expirySeconds), clock, s => released.Add(s.Name)), released, clock);
    }

    [Fact]
    public void Add_OverBudget_EvictsOldestFirstAndReleasesThem()
    {
        var (store, released, _) = Create(capacity: 100);
        var a = store.Add(new State("a"), 40);
        var b = store.Add(new State("b"), 40);

        var c = store.Add(new State("c"), 50); // 130 > 100: a goes

        Assert.Equal(["a"], released);
        Assert.Equal(90, store.BytesHeld);
        Assert.Equal(2, store.Count);
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => store.Peek(a)).StatusCode);
        Assert.Equal("b", store.Peek(b).Name);
        Assert.Equal("c", store.Peek(c).Name);
    }

    [Fact]
    public void Add_LargerThanWholeBudget_ResourceExhaustedAndNothingEvicted()
    {
        var (store, released, _) = Create(capacity: 100);
        var a = store.Add(new State("a"), 60);

        var e = Assert.Throws<RpcException>(() => store.Add(new State("huge"), 101));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal(["huge"], released);
        Assert.Equal(60, store.BytesHeld);
        Assert.Equal("a", store.Peek(a).Name);
    }

    [Fact]
    public void Peek_AfterExpiry_NotFoundAndReleased()
    {
        var (store, released, clock) = Create(expirySeconds: 10);
        var a = store.Add(new State("a"), 10);
        clock.Advance(TimeSpan.FromSeconds(5));
        var b = store.Add(new State("b"), 10);

        clock.Advance(TimeSpan.FromSeconds(5)); // a is 10 s old: expired; b is 5 s old

        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => store.Peek(a)).StatusCode);
        Assert.Equal("b", store.Peek(b).Name);
        Assert.Equal(["a"], released);
        Assert.Equal(10, store.BytesHeld);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => store.Take(b)).StatusCode);
        Assert.Equal(0, store.BytesHeld);
    }

    [Fact]
    public void Peek_ThenTake_SameStateOnceAndNotReleased()
    {
        var (store, released, _) = Create();
        var a = store.Add(new State("a"), 30);

        var peeked = store.Peek(a);
        var peekedAgain = store.Peek(a);
        var taken = store.Take(a);

        Assert.Same(peeked, peekedAgain);
        Assert.Same(peeked, taken);
        Assert.Empty(released); // the taker owns it now
        Assert.Equal(0, store.BytesHeld);
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => store.Take(a)).StatusCode);
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => store.Peek(a)).StatusCode);
    }

    [Fact]
    public void Take_UnknownId_NotFoundNamingTheId()
    {
        var (store, _, _) = Create();

        var e = Assert.Throws<RpcException>(() => store.Take("no-such-id"));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("no-such-id", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Clear_WithEntries_ReleasesAll()
    {
        var (store, released, _) = Create();
        store.Add(new State("a"), 10);
        store.Add(new State("b"), 10);

        store.Clear();

        Assert.Equal(["a", "b"], released);
        Assert.Equal((0, 0L), (store.Count, store.BytesHeld));
    }

    [Fact]
    public void Add_ManyIds_AllDistinct()
    {
        var (store, _, _) = Create(capacity: 1000);

        var ids = Enumerable.Range(0, 50).Select(i => store.Add(new State(i.ToString()), 1)).ToList();

        Assert.Equal(50, ids.Distinct().Count());
    }
}
