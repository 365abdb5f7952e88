using System.Threading.Channels;
using Google.Protobuf;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>One bound RPC of <see cref="InProcessCallInvoker"/>: the service type's delegate, without HTTP.</summary>
internal abstract class InProcessHandler(MethodType type)
{
    public MethodType Type { get; } = type;
}

/// <summary>A unary RPC, typed by its messages only (the invoker does not know the service type).</summary>
internal abstract class InProcessUnaryHandler<TRequest, TResponse>() : InProcessHandler(MethodType.Unary)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    public abstract Task<TResponse> InvokeAsync(TRequest request, ServerCallContext context);
}

/// <summary>A server-streaming RPC, typed by its messages only.</summary>
internal abstract class InProcessServerStreamingHandler<TRequest, TResponse>() : InProcessHandler(MethodType.ServerStreaming)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    public abstract Task InvokeAsync(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);
}

/// <summary>A unary RPC bound to <typeparamref name="TService"/>'s method.</summary>
internal sealed class BoundInProcessUnaryHandler<TService, TRequest, TResponse>(Func<TService, TRequest, ServerCallContext, Task<TResponse>> invoker)
    : InProcessUnaryHandler<TRequest, TResponse>
    where TService : class
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    public override async Task<TResponse> InvokeAsync(TRequest request, ServerCallContext context) =>
        await invoker(CallServices.Resolve<TService>(context), request, context).ConfigureAwait(false)
        ?? throw new InvalidOperationException("The service method returned a null response.");
}

/// <summary>A server-streaming RPC bound to <typeparamref name="TService"/>'s method.</summary>
internal sealed class BoundInProcessServerStreamingHandler<TService, TRequest, TResponse>(Func<TService, TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> invoker)
    : InProcessServerStreamingHandler<TRequest, TResponse>
    where TService : class
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    public override Task InvokeAsync(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context) =>
        invoker(CallServices.Resolve<TService>(context), request, responseStream, context);
}

/// <summary>
/// The server side of an in-process response stream: messages go by reference into a bounded channel (the
/// in-process analogue of HTTP/2 flow control); the first one also releases the response headers.
/// </summary>
internal sealed class InProcessStreamWriter<T>(ServerCallContext context, ChannelWriter<T> channel)
    : IServerStreamWriter<T>
    where T : class
{
    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        context.ThrowIfFinished();
        context.EnsureInProcessHeadersSent();
        using var linked = LinkedCancellation.Create(context.CancellationToken, cancellationToken);
        await channel.WriteAsync(message, linked.Token).ConfigureAwait(false);
    }
}

/// <summary>
/// The client side of an in-process response stream: buffered messages first, then the call's outcome
/// (<see cref="RpcException"/> when it failed).
/// </summary>
internal sealed class InProcessStreamReader<T>(ChannelReader<T> channel, Task completion, Action cancelCall) : IAsyncStreamReader<T>
    where T : class
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        try
        {
            while (true)
            {
                if (channel.TryRead(out var message))
                {
                    _current = message;
                    return true;
                }

                if (!await channel.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    await completion.ConfigureAwait(false); // throws the call's RpcException
                    return false;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelCall();
            throw new RpcException(ServerCallStatus.CancelledByClient);
        }
    }
}
