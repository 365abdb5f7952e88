using System.Threading.Channels;

namespace Rlhf.ModelServices;

/// <summary>
/// Dynamic micro-batching: concurrent requests are queued and merged into one batch of at most
/// <c>maxBatchItems</c> items, waiting at most <c>maxWait</c> after the first request for more to arrive, so one
/// model call serves many callers and throughput grows with concurrency. A request never waits longer than
/// <c>maxWait</c> plus the batch ahead of it. A request cancelled while queued is dropped from its batch.
/// </summary>
/// <typeparam name="TItem">One item (e.g. one sequence to score).</typeparam>
/// <typeparam name="TResult">The result of one item.</typeparam>
public sealed class MicroBatcher<TItem, TResult> : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> _run;
    private readonly int _maxBatchItems;
    private readonly TimeSpan _maxWait;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();

    /// <param name="run">Runs one merged batch; returns one result per item, in order.</param>
    /// <param name="maxBatchItems">Most items per merged batch (≥ 1); a single larger request runs alone.</param>
    /// <param name="maxWait">Longest wait for more requests after the first.</param>
    public MicroBatcher(Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> run, int maxBatchItems, TimeSpan maxWait)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchItems, 1);
        _run = run;
        _maxBatchItems = maxBatchItems;
        _maxWait = maxWait;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Queues <paramref name="items"/> and returns their results once their batch has run.</summary>
    public async Task<IReadOnlyList<TResult>> SubmitAsync(IReadOnlyList<TItem> items, CancellationToken cancellationToken)
    {
        var pending = new Pending(items, new TaskCompletionSource<IReadOnlyList<TResult>>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        using var registration = cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        Pending? carry = null;
        while (!_stop.IsCancellationRequested)
        {
            var first = carry ?? await ReadOrNullAsync(reader, _stop.Token).ConfigureAwait(false);
            carry = null;
            if (first is null)
                return;
            var batch = new List<Pending> { first };
            var count = first.Items.Count;
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                window.CancelAfter(_maxWait);
                while (count < _maxBatchItems)
                {
                    var next = reader.TryRead(out var ready) ? ready : await ReadOrNullAsync(reader, window.Token).ConfigureAwait(false);
                    if (next is null)
                        break;
                    if (count + next.Items.Count > _maxBatchItems)
                    {
                        carry = next;
                        break;
                    }
                    batch.Add(next);
                    count += next.Items.Count;
                }
            }
            await RunBatchAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task RunBatchAsync(List<Pending> batch)
    {
        batch.RemoveAll(p => p.Completion.Task.IsCompleted || p.CancellationToken.IsCancellationRequested);
        if (batch.Count == 0)
            return;
        var items = new List<TItem>();
        foreach (var p in batch)
            items.AddRange(p.Items);
        try
        {
            var results = await _run(items, CancellationToken.None).ConfigureAwait(false);
            var offset = 0;
            foreach (var p in batch)
            {
                var slice = new TResult[p.Items.Count];
                for (var i = 0; i < slice.Length; i++)
                    slice[i] = results[offset + i];
                offset += slice.Length;
                p.Completion.TrySetResult(slice);
            }
        }
        catch (Exception e)
        {
            foreach (var p in batch)
                p.Completion.TrySetException(e);
        }
    }

    private static async Task<Pending?> ReadOrNullAsync(ChannelReader<Pending> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && reader.TryRead(out var p) ? p : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        while (_queue.Reader.TryRead(out var p))
            p.Completion.TrySetCanceled();
        _stop.Dispose();
    }

    private sealed record Pending(IReadOnlyList<TItem> Items, TaskCompletionSource<IReadOnlyList<TResult>> Completion, CancellationToken CancellationToken);
}
