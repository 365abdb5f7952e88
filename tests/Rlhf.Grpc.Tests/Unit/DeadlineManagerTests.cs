using Rlhf.Grpc.Internal;
using Rlhf.Grpc.Tests.Infrastructure;

namespace Rlhf.Grpc.Tests.Unit;

public sealed class DeadlineManagerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Token_BeforeDeadline_NotCancelled()
    {
        var clock = new FakeTimeProvider(Start);
        using var deadline = DeadlineManager.FromTimeout(TimeSpan.FromSeconds(5), clock);

        clock.Advance(TimeSpan.FromSeconds(4.999));

        Assert.False(deadline.IsExpired);
        Assert.False(deadline.Token.IsCancellationRequested);
        Assert.Equal(TimeSpan.FromMilliseconds(1), deadline.GetRemaining());
    }

    [Fact]
    public void Token_AtDeadline_Cancelled()
    {
        var clock = new FakeTimeProvider(Start);
        using var deadline = DeadlineManager.FromTimeout(TimeSpan.FromSeconds(5), clock);

        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.True(deadline.IsExpired);
        Assert.True(deadline.Token.IsCancellationRequested);
        Assert.True(deadline.GetRemaining() <= TimeSpan.Zero);
    }

    [Fact]
    public void Constructor_DeadlineInThePast_ExpiredImmediately()
    {
        var clock = new FakeTimeProvider(Start);

        using var deadline = new DeadlineManager(Start.UtcDateTime.AddSeconds(-1), clock);

        Assert.True(deadline.IsExpired);
    }

    [Fact]
    public void FromTimeout_HugeTimeout_NeverExpires()
    {
        var clock = new FakeTimeProvider(Start);
        using var deadline = DeadlineManager.FromTimeout(TimeSpan.MaxValue, clock);

        clock.Advance(TimeSpan.FromDays(365));

        Assert.False(deadline.IsExpired);
        Assert.Equal(DateTime.MaxValue, deadline.Deadline);
    }

    [Fact]
    public void FromCallDeadline_NullOrMaxValue_NoDeadline()
    {
        var clock = new FakeTimeProvider(Start);

        Assert.Null(DeadlineManager.FromCallDeadline(null, clock));
        Assert.Null(DeadlineManager.FromCallDeadline(DateTime.MaxValue, clock));
    }

    [Fact]
    public void FromCallDeadline_FurtherThanATimerReaches_AcceptedAndNeverExpires()
    {
        var clock = new FakeTimeProvider(Start);

        using var deadline = DeadlineManager.FromCallDeadline(Start.UtcDateTime.AddDays(100), clock);
        clock.Advance(TimeSpan.FromDays(60));

        Assert.NotNull(deadline);
        Assert.False(deadline.IsExpired);
        Assert.Equal(TimeSpan.FromDays(40), deadline.GetRemaining());
    }

    [Fact]
    public void FromCallDeadline_UnspecifiedKind_TakenAsUtc()
    {
        var clock = new FakeTimeProvider(Start);

        using var deadline = DeadlineManager.FromCallDeadline(DateTime.SpecifyKind(Start.UtcDateTime.AddSeconds(5), DateTimeKind.Unspecified), clock);

        Assert.NotNull(deadline);
        Assert.Equal(Start.UtcDateTime.AddSeconds(5), deadline.Deadline);
        Assert.Equal(DateTimeKind.Utc, deadline.Deadline.Kind);
        Assert.Equal(TimeSpan.FromSeconds(5), deadline.GetRemaining());
    }

    [Fact]
    public void FromCallDeadline_LocalKind_ConvertedToUtc()
    {
        var clock = new FakeTimeProvider(Start);
        var utc = Start.UtcDateTime.AddSeconds(5);

        using var deadline = DeadlineManager.FromCallDeadline(utc.ToLocalTime(), clock);

        Assert.NotNull(deadline);
        Assert.Equal(utc, deadline.Deadline);
        Assert.Equal(DateTimeKind.Utc, deadline.Deadline.Kind);
    }

    [Fact]
    public void Dispose_BeforeDeadline_TimerNoLongerFires()
    {
        var clock = new FakeTimeProvider(Start);
        var deadline = DeadlineManager.FromTimeout(TimeSpan.FromSeconds(1), clock);
        var token = deadline.Token;

        deadline.Dispose();
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.False(token.IsCancellationRequested);
    }
}
