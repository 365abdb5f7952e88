using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Rlhf.ServiceDefaults.Calls;

/// <summary>
/// A server interceptor written once for all four call types: <see cref="InvokeAsync"/> wraps the call, whatever its
/// type (its <c>next</c> runs the rest of the pipeline and the service method).
/// </summary>
public abstract class ServerCallInterceptor : Interceptor
{
    /// <summary>Runs around one call; throw an <see cref="RpcException"/> to fail it without calling <paramref name="next"/>.</summary>
    protected abstract Task InvokeAsync(ServerCallContext context, Func<Task> next);

    /// <inheritdoc />
    public sealed override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = default!;
        await InvokeAsync(context, async () => response = await continuation(request, context).ConfigureAwait(false)).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc />
    public sealed override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        InvokeAsync(context, () => continuation(request, responseStream, context));

    /// <inheritdoc />
    public sealed override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = default!;
        await InvokeAsync(context, async () => response = await continuation(requestStream, context).ConfigureAwait(false)).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc />
    public sealed override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        InvokeAsync(context, () => continuation(requestStream, responseStream, context));

    /// <summary>The service part of <see cref="ServerCallContext.Method"/> (<c>/pkg.Service/Method</c> → <c>pkg.Service</c>).</summary>
    protected static string ServiceOf(ServerCallContext context)
    {
        var method = context.Method;
        var slash = method.IndexOf('/', 1);
        return slash > 1 ? method[1..slash] : method.TrimStart('/');
    }

    /// <summary>Whether the call is to the standard health or reflection service (open without a key, never limited).</summary>
    protected static bool IsInfrastructure(ServerCallContext context) =>
        ServiceOf(context) is "grpc.health.v1.Health" or "grpc.reflection.v1alpha.ServerReflection" or "grpc.reflection.v1.ServerReflection";
}
