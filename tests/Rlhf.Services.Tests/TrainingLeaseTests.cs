using Grpc.Core;
using Rlhf.ModelServices;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>The training lease: one run at a time, expiry, renewal by training RPCs.</summary>
public sealed class TrainingLeaseTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    [Fact]
    public void Acquire_WhileAnotherRunHolds_FailedPrecondition()
    {
        var lease = new TrainingLease(new ManualTimeProvider());
        lease.Acquire("a", Ttl);

        var e = Assert.Throws<RpcException>(() => lease.Acquire("b", Ttl));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal("a", lease.Holder);
    }

    [Fact]
    public void Acquire_AfterTtl_AnotherRunTakesIt()
    {
        var clock = new ManualTimeProvider();
        var lease = new TrainingLease(clock);
        lease.Acquire("a", Ttl);

        clock.Advance(Ttl);
        lease.Acquire("b", Ttl);

        Assert.Equal("b", lease.Holder);
        Assert.Equal(StatusCode.FailedPrecondition, Assert.Throws<RpcException>(() => lease.Require("a")).StatusCode);
    }

    [Fact]
    public void Require_BeforeTtl_RenewsTheLease()
    {
        var clock = new ManualTimeProvider();
        var lease = new TrainingLease(clock);
        lease.Acquire("a", Ttl);

        clock.Advance(TimeSpan.FromSeconds(50));
        lease.Require("a");
        clock.Advance(TimeSpan.FromSeconds(50)); // 100 s after Acquire, 50 s after the renewal

        Assert.Equal("a", lease.Holder);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(lease.Holder);
    }

    [Fact]
    public void Acquire_SameRunAgain_RenewsTheLease()
    {
        var clock = new ManualTimeProvider();
        var lease = new TrainingLease(clock);
        lease.Acquire("a", Ttl);

        clock.Advance(TimeSpan.FromSeconds(59));
        lease.Acquire("a", Ttl);
        clock.Advance(TimeSpan.FromSeconds(59));

        Assert.Equal("a", lease.Holder);
    }

    [Fact]
    public void Require_NoHolder_FailedPreconditionMentioningRestart()
    {
        var lease = new TrainingLease(new ManualTimeProvider());

        var e = Assert.Throws<RpcException>(() => lease.Require("a"));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("restarted", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Release_ByHolder_FreesIt_ByOther_FailedPrecondition()
    {
        var lease = new TrainingLease(new ManualTimeProvider());
        lease.Acquire("a", Ttl);

        Assert.Equal(StatusCode.FailedPrecondition, Assert.Throws<RpcException>(() => lease.Release("b")).StatusCode);
        lease.Release("a");

        Assert.Null(lease.Holder);
        lease.Acquire("b", Ttl);
        Assert.Equal("b", lease.Holder);
    }

    [Theory]
    [InlineData("", 60)]
    [InlineData("a", 0)]
    [InlineData("a", 86401)]
    public void Acquire_BadRunIdOrTtl_InvalidArgument(string runId, int ttlSeconds)
    {
        var lease = new TrainingLease(new ManualTimeProvider());

        var e = Assert.Throws<RpcException>(() => lease.Acquire(runId, TimeSpan.FromSeconds(ttlSeconds)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Null(lease.Holder);
    }
}
