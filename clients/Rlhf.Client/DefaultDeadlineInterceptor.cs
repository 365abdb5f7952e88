using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Rlhf.Client;

/// <summary>
/// Gives a unary call that sets no deadline the overall timeout <paramref name="timeout"/>; grpc-dotnet's retries stay
/// inside it. Streaming calls (WatchRun, StreamGenerate) run as long as their caller wants.
/// </summary>
/// <param name="timeout">The overall timeout of one logical call.</param>
/// <param name="time">Clock (tests pass a fake).</param>
public sealed class DefaultDeadlineInterceptor(TimeSpan timeout, TimeProvider? time = null) : Interceptor
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (context.Options.Deadline is null)
            context = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host,
                context.Options.WithDeadline(_time.GetUtcNow().UtcDateTime + timeout));
        return continuation(request, context);
    }
}
