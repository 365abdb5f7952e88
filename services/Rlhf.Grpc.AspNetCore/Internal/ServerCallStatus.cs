using System.Diagnostics;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>Maps how a handler ended to the status the client receives.</summary>
internal static class ServerCallStatus
{
    public const string GenericUnknownMessage = "Exception was thrown by handler.";

    /// <summary>The status of a call whose deadline passed.</summary>
    public static readonly Status DeadlineExceeded = new(StatusCode.DeadlineExceeded, "Deadline Exceeded");

    /// <summary>The status of a call the client cancelled.</summary>
    public static readonly Status CancelledByClient = new(StatusCode.Cancelled, "Call canceled by the client.");

    /// <summary>
    /// The status for <paramref name="exception"/>: an <see cref="RpcException"/>'s own status; DEADLINE_EXCEEDED or
    /// CANCELLED when cancellation came from the deadline or the client; otherwise UNKNOWN with a generic message
    /// (the exception's type and message only when <see cref="GrpcServerOptions.EnableDetailedErrors"/>).
    /// </summary>
    public static Status FromException(Exception exception, ServerCallContext context, bool deadlineExpired)
    {
        if (exception is RpcException rpc)
        {
            return rpc.Status;
        }

        if (exception is OperationCanceledException && deadlineExpired)
        {
            return DeadlineExceeded;
        }

        if (exception is OperationCanceledException or IOException && context.GetHttpContext().RequestAborted.IsCancellationRequested)
        {
            return CancelledByClient;
        }

        var detail = context.Options.EnableDetailedErrors
            ? $"{GenericUnknownMessage} {exception.GetType().Name}: {exception.Message}"
            : GenericUnknownMessage;
        return new Status(StatusCode.Unknown, detail, exception);
    }

    /// <summary>
    /// <see cref="FromException"/> for a handler that threw <paramref name="exception"/>; the trailers of an
    /// <see cref="RpcException"/> are added to the context's response trailers, to be sent with the status.
    /// </summary>
    public static Status FromHandlerFailure(Exception exception, ServerCallContext context, bool deadlineExpired)
    {
        var status = FromException(exception, context, deadlineExpired);
        if (exception is RpcException rpc)
        {
            foreach (var entry in rpc.Trailers)
            {
                context.ResponseTrailers.Add(entry);
            }
        }

        return status;
    }

    /// <summary>
    /// Runs <paramref name="next"/> and then hands <paramref name="completed"/> the status code the call ends with
    /// (<see cref="ServerCallContext.Status"/>, or the status of the exception <paramref name="next"/> threw, which
    /// propagates) and how long it took. The shape of the logging and metrics interceptors.
    /// </summary>
    public static async Task ObserveAsync<TState>(ServerCallContext context, Func<Task> next, TState state, Action<TState, ServerCallContext, StatusCode, TimeSpan> completed)
    {
        var start = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            await next().ConfigureAwait(false);
            status = context.Status.StatusCode;
        }
        catch (Exception ex)
        {
            status = FromException(ex, context, context.IsDeadlineExpired).StatusCode;
            throw;
        }
        finally
        {
            completed(state, context, status, Stopwatch.GetElapsedTime(start));
        }
    }
}
