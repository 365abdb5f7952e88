using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>
/// One call of <see cref="InProcessCallInvoker"/>: its scope, context, cancellation (caller's token, deadline,
/// <see cref="Cancel"/>), and the status decided exactly once — by the handler's end, or earlier by the deadline or
/// a cancellation, as <see cref="ServerCallHandlerBase"/> decides it for HTTP calls.
/// </summary>
internal sealed class InProcessCall
{
    private readonly GrpcServerOptions _options;
    private readonly AsyncServiceScope _scope;
    private readonly CancellationTokenSource _abort;
    private readonly DeadlineManager? _deadline;
    private readonly CancellationTokenSource _call;
    private readonly TaskCompletionSource<Metadata> _responseHeaders = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Status? _status;
    private bool _disposed;

    public InProcessCall(IServiceProvider services, GrpcServerOptions options, string method, CallOptions callOptions)
    {
        _options = options;
        _scope = services.CreateAsyncScope();
        _abort = CancellationTokenSource.CreateLinkedTokenSource(callOptions.CancellationToken);
        _deadline = DeadlineManager.FromCallDeadline(callOptions.Deadline, options.TimeProvider);
        _call = _deadline is null ? CancellationTokenSource.CreateLinkedTokenSource(_abort.Token) : CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, _deadline.Token);
        var headers = new Metadata();
        foreach (var entry in callOptions.Headers ?? [])
        {
            headers.Add(entry);
        }

        Context = ServerCallContext.CreateInProcess(_scope.ServiceProvider, method, _deadline?.Deadline ?? DateTime.MaxValue,
            headers, _abort.Token, _call.Token, options, _responseHeaders);
    }

    public ServerCallContext Context { get; }

    public Task<Metadata> ResponseHeaders => _responseHeaders.Task;

    private bool DeadlineExpired => _deadline?.IsExpired == true;

    /// <summary>Ends the call with <paramref name="status"/> without running a handler.</summary>
    public async Task<T> Fail<T>(Status status)
    {
        await FinishAsync(status).ConfigureAwait(false);
        DisposeResources();
        await _scope.DisposeAsync().ConfigureAwait(false);
        throw new RpcException(status, Context.ResponseTrailers);
    }

    /// <summary>
    /// Runs the interceptors and <paramref name="core"/> (which stores the unary response in its box) on the thread
    /// pool; returns the response, or throws the call's <see cref="RpcException"/>.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<ServerCallContext, StrongBox<T?>, Task> core)
        where T : class
    {
        if (_deadline is not null && _deadline.GetRemaining() <= TimeSpan.Zero)
        {
            return await Fail<T>(ServerCallStatus.DeadlineExceeded).ConfigureAwait(false);
        }

        var result = new StrongBox<T?>();
        var handlerTask = Task.Run(async () =>
        {
            try
            {
                await ServerCallHandlerBase.RunInterceptorsAsync(Context, _options.Interceptors, () => core(Context, result)).ConfigureAwait(false);
            }
            finally
            {
                DisposeResources();
                await _scope.DisposeAsync().ConfigureAwait(false);
            }
        });

        Status status;
        RpcException? handlerRpc = null;
        if (await CancelledFirstAsync(handlerTask).ConfigureAwait(false))
        {
            // The deadline or the caller won: answer now; the handler unwinds on its own (its outcome is dropped).
            status = DeadlineExpired ? ServerCallStatus.DeadlineExceeded : ServerCallStatus.CancelledByClient;
            _ = handlerTask.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            try
            {
                await handlerTask.ConfigureAwait(false);
                status = Context.Status;
            }
            catch (Exception ex)
            {
                status = ServerCallStatus.FromHandlerFailure(ex, Context, DeadlineExpired);
                handlerRpc = ex as RpcException;
            }
        }

        await FinishAsync(status).ConfigureAwait(false);
        if (handlerRpc is not null)
        {
            throw handlerRpc;
        }

        return status.StatusCode == StatusCode.OK
            ? result.Value ?? default!
            : throw new RpcException(status, Context.ResponseTrailers);
    }

    /// <summary>The final status; <see cref="InvalidOperationException"/> before the call has finished.</summary>
    public Status GetStatus()
    {
        lock (_gate)
        {
            return _status ?? throw new InvalidOperationException("The call has not finished.");
        }
    }

    /// <summary>The trailers; <see cref="InvalidOperationException"/> before the call has finished.</summary>
    public Metadata GetTrailers()
    {
        lock (_gate)
        {
            return _status is null ? throw new InvalidOperationException("The call has not finished.") : Context.ResponseTrailers;
        }
    }

    /// <summary>Cancels the call if it is still running (the handler's token fires; the caller sees CANCELLED).</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            if (!_disposed && _status is null)
            {
                _abort.Cancel();
            }
        }
    }

    private Task<bool> CancelledFirstAsync(Task handlerTask)
    {
        lock (_gate)
        {
            return _disposed
                ? Task.FromResult(false) // the handler already finished and released the tokens
                : ServerCallHandlerBase.TokenFiresFirstAsync(handlerTask, _call.Token);
        }
    }

    private async Task FinishAsync(Status status)
    {
        await Context.FinishAsync(status).ConfigureAwait(false);
        lock (_gate)
        {
            _status ??= status;
        }
    }

    private void DisposeResources()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _call.Dispose();
            _deadline?.Dispose();
            _abort.Dispose();
        }
    }
}
