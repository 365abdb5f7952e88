using Microsoft.Extensions.Logging;
using Rlhf.Grpc.AspNetCore.Internal;

namespace Rlhf.Grpc.AspNetCore;

/// <summary>
/// Writes one structured log line per call with the properties <c>method</c> (full method name), <c>status</c>
/// (status code name), <c>duration_ms</c> (wall clock, milliseconds) and <c>peer</c> (event id 105, level Information).
/// </summary>
public sealed class LoggingInterceptor(ILogger<LoggingInterceptor> logger) : IServerInterceptor
{
    /// <inheritdoc />
    public Task InvokeAsync(ServerCallContext context, Func<Task> next) =>
        ServerCallStatus.ObserveAsync(context, next, logger, static (logger, context, status, elapsed) =>
            Log.CallCompleted(logger, context.Method, status, elapsed.TotalMilliseconds, context.Peer));
}
