using System.Runtime.ExceptionServices;

namespace Rlhf.Engine.Internal;

/// <summary>
/// A fixed team of threads that runs one body on every member (the caller is member 0) with a spinning barrier
/// between phases: the fork/join of a KV-cache decoding step, which is too short (tens of microseconds) for
/// <see cref="Parallel.For(int, int, Action{int})"/> and has a dozen dependent phases per layer. Idle members spin
/// briefly, then sleep on a monitor until the next <see cref="Run"/>. One <see cref="Run"/> at a time.
/// </summary>
internal sealed class SpinTeam : IDisposable
{
    private const int SpinsBeforeSleep = 4000;

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private Action<int>? _body;
    private int _epoch;
    private int _pending;
    private int _sleepers;
    private volatile bool _stopping;
    private Exception? _error;
    private int _arrived;
    private volatile int _phase;

    /// <summary>Starts <paramref name="size"/> − 1 background threads.</summary>
    public SpinTeam(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        _workers = new Thread[size - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var member = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(member)) { IsBackground = true, Name = $"rlhf-decode-{member}" };
            _workers[i].Start();
        }
    }

    /// <summary>Number of members, the caller included.</summary>
    public int Size { get; }

    /// <summary>Runs <paramref name="body"/>(member) on every member and returns when all have finished; rethrows the
    /// first exception a member raised (the team is then unusable).</summary>
    public void Run(Action<int> body)
    {
        if (Volatile.Read(ref _error) is not null)
            throw new InvalidOperationException("the decode team failed earlier", Volatile.Read(ref _error));
        if (Size == 1)
        {
            body(0);
            return;
        }
        _body = body;
        Volatile.Write(ref _pending, Size - 1);
        Interlocked.Increment(ref _epoch);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
                Monitor.PulseAll(_gate);
        }
        try
        {
            body(0);
        }
        catch (Exception e) when (e is not TeamFailedException)
        {
            Fail(e);
        }
        catch (TeamFailedException)
        {
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) > 0)
            spin.SpinOnce(sleep1Threshold: -1);
        _body = null;
        if (Volatile.Read(ref _error) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>Waits until every member has reached this barrier (sense-reversing; reusable).</summary>
    public void Barrier()
    {
        if (Size == 1)
            return;
        var phase = _phase;
        if (Interlocked.Increment(ref _arrived) == Size)
        {
            _arrived = 0;
            _phase = phase + 1;
            return;
        }
        var spin = new SpinWait();
        while (_phase == phase)
        {
            if (Volatile.Read(ref _error) is not null)
                throw new TeamFailedException();
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    public void Dispose()
    {
        if (_stopping)
            return;
        _stopping = true;
        Interlocked.Increment(ref _epoch);
        lock (_gate)
            Monitor.PulseAll(_gate);
        foreach (var w in _workers)
            w.Join();
    }

    private void Fail(Exception e)
    {
        Interlocked.CompareExchange(ref _error, e, null);
    }

    private void WorkerLoop(int member)
    {
        var seen = 0;
        while (true)
        {
            var spins = 0;
            var spin = new SpinWait();
            while (Volatile.Read(ref _epoch) == seen)
            {
                if (++spins < SpinsBeforeSleep)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _epoch) == seen)
                        Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            seen = Volatile.Read(ref _epoch);
            if (_stopping)
                return;
            try
            {
                _body!(member);
            }
            catch (TeamFailedException)
            {
            }
            catch (Exception e)
            {
                Fail(e);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Unwinds members waiting at a barrier after another member failed.</summary>
    private sealed class TeamFailedException : Exception;
}
