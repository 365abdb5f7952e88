namespace Rlhf.Grpc.Internal;

/// <summary>
/// Tracks one call's deadline on an injected clock: <see cref="Token"/> is cancelled when the deadline passes. Used
/// by the client (local DEADLINE_EXCEEDED) and by the server (cancelling the handler).
/// </summary>
internal sealed class DeadlineManager : IDisposable
{
    // Timers cannot be scheduled further out than ~49 days; a later deadline is as good as none.
    private static readonly TimeSpan MaxTimerDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _cts = new();
    private readonly ITimer? _timer;

    public DeadlineManager(DateTime deadlineUtc, TimeProvider clock)
    {
        Deadline = deadlineUtc;
        _clock = clock;
        var remaining = GetRemaining();
        if (remaining <= TimeSpan.Zero)
        {
            _cts.Cancel();
        }
        else if (remaining < MaxTimerDueTime)
        {
            _timer = clock.CreateTimer(static state => ((DeadlineManager)state!).Expire(), this, remaining, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The absolute deadline (UTC).</summary>
    public DateTime Deadline { get; }

    /// <summary>Cancelled when the deadline passes.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Whether the deadline has passed (as observed by the timer).</summary>
    public bool IsExpired => _cts.IsCancellationRequested;

    /// <summary>Time left before the deadline on the injected clock; negative once passed.</summary>
    public TimeSpan GetRemaining() => Deadline - _clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// The manager of a caller's <see cref="CallOptions.Deadline"/>, or null when it sets none (null or
    /// <see cref="DateTime.MaxValue"/>). A local time is converted to UTC; any other kind is taken as UTC. A deadline
    /// further out than a timer reaches is accepted (it never fires, as with <see cref="FromTimeout"/>).
    /// </summary>
    public static DeadlineManager? FromCallDeadline(DateTime? deadline, TimeProvider clock) =>
        deadline is { } value && value != DateTime.MaxValue
            ? new DeadlineManager(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc), clock)
            : null;

    /// <summary>Creates a manager from a relative timeout.</summary>
    public static DeadlineManager FromTimeout(TimeSpan timeout, TimeProvider clock) =>
        new(timeout >= DateTime.MaxValue - clock.GetUtcNow().UtcDateTime ? DateTime.MaxValue : clock.GetUtcNow().UtcDateTime + timeout, clock);

    public void Dispose()
    {
        _timer?.Dispose();
        _cts.Dispose();
    }

    private void Expire()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished and disposed us while the timer fired.
        }
    }
}
