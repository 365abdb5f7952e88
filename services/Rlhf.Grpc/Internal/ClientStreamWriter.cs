using Google.Protobuf;

namespace Rlhf.Grpc.Internal;

/// <summary>The request stream of a client-streaming or duplex call: one framed message per write, then END_STREAM.</summary>
internal sealed class ClientStreamWriter<TRequest, TResponse>(GrpcCall<TRequest, TResponse> call) : IClientStreamWriter<TRequest>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    private static readonly TimeSpan StatusWait = TimeSpan.FromSeconds(5);

    private readonly object _lock = new();
    private Task _pendingWrite = Task.CompletedTask;
    private bool _completed;

    public Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_lock)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The request stream has already been completed.");
            }

            if (!_pendingWrite.IsCompleted)
            {
                throw new InvalidOperationException("Only one write can be pending at a time.");
            }

            _pendingWrite = WriteCoreAsync(message, cancellationToken);
            return _pendingWrite;
        }
    }

    public async Task CompleteAsync()
    {
        Task pending;
        lock (_lock)
        {
            _completed = true;
            pending = _pendingWrite;
        }

        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            call.RequestContent!.Complete();
        }
    }

    private async Task WriteCoreAsync(TRequest message, CancellationToken cancellationToken)
    {
        byte[] frame;
        try
        {
            frame = GrpcFraming.FrameMessage(message, call.MaxSendMessageSize, call.CompressRequests);
        }
        catch (RpcException ex)
        {
            call.Complete(ex.Status);
            throw;
        }

        var stream = await call.GetRequestStreamAsync(cancellationToken).ConfigureAwait(false);
        using var linked = LinkedCancellation.Create(call.CallToken, cancellationToken);
        try
        {
            await stream.WriteAsync(frame, linked.Token).ConfigureAwait(false);
            await stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The stream died under the write: the call's status (being read from the response) explains why.
            if (!call.StatusTask.IsCompleted)
            {
                try
                {
                    await call.StatusTask.WaitAsync(StatusWait).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    call.Complete(new Status(StatusCode.Unavailable, $"Error writing the request stream: {ex.Message}", ex));
                }
            }

            throw call.CreateFailureOrFinished();
        }
    }
}
