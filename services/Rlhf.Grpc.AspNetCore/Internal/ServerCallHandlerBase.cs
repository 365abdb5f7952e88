using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>
/// What every call type shares: check the request (HTTP/2, content type, encoding) → set up the call context and
/// its deadline → run the interceptors around the call-type-specific core → answer the status exactly once.
/// </summary>
internal abstract class ServerCallHandlerBase
{
    protected ServerCallHandlerBase(string method, GrpcServerOptions options, ILoggerFactory loggerFactory)
    {
        Method = method;
        Options = options;
        Logger = loggerFactory.CreateLogger("Rlhf.Grpc.Server");
    }

    public string Method { get; }

    protected GrpcServerOptions Options { get; }

    protected ILogger Logger { get; }

    /// <summary>Whether interceptors run for this handler (not for the catch-all of unknown paths).</summary>
    protected virtual bool RunsInterceptors => true;

    public async Task HandleCallAsync(HttpContext httpContext)
    {
        // 1. protocol checks
        if (!ValidateRequest(httpContext, out var encoding))
        {
            return;
        }

        // gRPC streams may be long and slow: Kestrel's request-body size and rate limits do not apply.
        if (httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxSize)
        {
            maxSize.MaxRequestBodySize = null;
        }

        if (httpContext.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRate)
        {
            minRate.MinDataRate = null;
        }

        // 2. the call context and its deadline
        DeadlineManager? deadline = null;
        if (GrpcTimeout.TryParse(httpContext.Request.Headers[GrpcProtocolConstants.TimeoutHeader].ToString(), out var timeout))
        {
            deadline = DeadlineManager.FromTimeout(timeout, Options.TimeProvider);
        }

        using var callCts = deadline is null
            ? CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted)
            : CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, deadline.Token);
        var context = new ServerCallContext(
            httpContext,
            Method,
            deadline?.Deadline ?? DateTime.MaxValue,
            GrpcServerProtocol.ReadRequestHeaders(httpContext.Request),
            callCts.Token,
            Options);
        context.RequestEncoding = encoding;

        try
        {
            // 3. interceptors → read → invoke → write
            var handlerTask = RunPipelineAsync(context);
            if (deadline is not null && await TokenFiresFirstAsync(handlerTask, deadline.Token).ConfigureAwait(false))
            {
                // The deadline won: answer now, then let the cancelled handler unwind before the request ends.
                Log.DeadlineExceeded(Logger, Method);
                await FinishSafelyAsync(context, ServerCallStatus.DeadlineExceeded).ConfigureAwait(false);
                await handlerTask.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default).ConfigureAwait(false);
                return;
            }

            Status status;
            try
            {
                await handlerTask.ConfigureAwait(false);
                status = context.Status;
            }
            catch (Exception ex)
            {
                status = ServerCallStatus.FromHandlerFailure(ex, context, deadline?.IsExpired == true);
                LogFailure(context, ex, status);
            }

            // 4. the status, once
            await FinishSafelyAsync(context, status).ConfigureAwait(false);
        }
        finally
        {
            deadline?.Dispose();
        }
    }

    /// <summary>The call-type-specific part: read the request(s), invoke the service method, write the response(s).</summary>
    protected abstract Task HandleCallCoreAsync(ServerCallContext context);

    private async Task RunPipelineAsync(ServerCallContext context)
    {
        if (RunsInterceptors)
        {
            await RunInterceptorsAsync(context, Options.Interceptors, () => HandleCallCoreAsync(context)).ConfigureAwait(false);
        }
        else
        {
            await HandleCallCoreAsync(context).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="core"/> inside <paramref name="interceptors"/> (outermost first), each resolved from the
    /// call's request services or created for the call. Shared by the HTTP handlers and <see cref="InProcessCallInvoker"/>.
    /// </summary>
    internal static async Task RunInterceptorsAsync(ServerCallContext context, IList<Type> interceptors, Func<Task> core)
    {
        if (interceptors.Count == 0)
        {
            await core().ConfigureAwait(false);
            return;
        }

        var services = context.GetHttpContext().RequestServices;
        var next = core;
        for (var i = interceptors.Count - 1; i >= 0; i--)
        {
            var interceptor = (IServerInterceptor)ActivatorUtilities.GetServiceOrCreateInstance(services, interceptors[i]);
            var inner = next;
            next = () => interceptor.InvokeAsync(context, inner);
        }

        await next().ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="token"/> fires before <paramref name="handlerTask"/> ends (the deadline or a
    /// cancellation won: the call is answered without waiting for the handler). Registers on the token before it
    /// returns, so a caller may call it under the lock that guards the token's source. Shared by the HTTP handlers
    /// and <see cref="InProcessCall"/>.
    /// </summary>
    internal static Task<bool> TokenFiresFirstAsync(Task handlerTask, CancellationToken token)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = token.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), fired);
        return WaitAsync(handlerTask, fired.Task, registration);

        static async Task<bool> WaitAsync(Task handlerTask, Task fired, CancellationTokenRegistration registration)
        {
            await using (registration.ConfigureAwait(false))
            {
                var first = await Task.WhenAny(handlerTask, fired).ConfigureAwait(false);
                return first != handlerTask;
            }
        }
    }

    private async Task FinishSafelyAsync(ServerCallContext context, Status status)
    {
        try
        {
            await context.FinishAsync(status).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The connection went away while the status was written; nothing more can be told to the client.
            Log.CallCancelled(Logger, Method);
        }
    }

    private void LogFailure(ServerCallContext context, Exception exception, Status status)
    {
        switch (status.StatusCode)
        {
            case StatusCode.Unknown when exception is not RpcException:
                Log.HandlerError(Logger, Method, exception);
                break;
            case StatusCode.Cancelled when context.GetHttpContext().RequestAborted.IsCancellationRequested:
                Log.CallCancelled(Logger, Method);
                break;
            default:
                Log.RpcError(Logger, Method, status.StatusCode, status.Detail);
                break;
        }
    }

    private bool ValidateRequest(HttpContext httpContext, out string? encoding)
    {
        encoding = null;
        var request = httpContext.Request;
        var response = httpContext.Response;
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.ContentType = GrpcProtocolConstants.ContentType;
            GrpcServerProtocol.SetStatus(response, new Status(StatusCode.Internal, $"Request protocol '{request.Protocol}' is not supported; gRPC needs HTTP/2."), Metadata.Empty);
            return false;
        }

        if (!GrpcProtocolConstants.IsSupportedContentType(request.ContentType))
        {
            // PROTOCOL-HTTP2.md: a Content-Type that is not gRPC (or a gRPC subtype we do not speak, e.g. +json) → 415.
            Log.UnsupportedContentType(Logger, request.ContentType);
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            GrpcServerProtocol.SetStatus(response, new Status(StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported."), Metadata.Empty);
            return false;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocolConstants.ContentType;
        response.Headers[GrpcProtocolConstants.MessageAcceptEncodingHeader] = GrpcProtocolConstants.SupportedEncodings;
        var requested = request.Headers[GrpcProtocolConstants.MessageEncodingHeader].ToString();
        if (requested.Length > 0
            && !string.Equals(requested, GrpcProtocolConstants.IdentityEncoding, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(requested, GrpcProtocolConstants.GzipEncoding, StringComparison.OrdinalIgnoreCase))
        {
            GrpcServerProtocol.SetStatus(response, new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{requested}'; supported: {GrpcProtocolConstants.SupportedEncodings}."), Metadata.Empty);
            return false;
        }

        encoding = requested.Length > 0 ? requested : null;
        return true;
    }
}
