using Grpc.Core;
using Grpc.Core.Interceptors;
using Polly;
using Polly.CircuitBreaker;

namespace Rlhf.Client;

/// <summary>
/// A circuit breaker at the gRPC level (Polly's <see cref="CircuitBreakerStrategyOptions"/>): when most unary calls
/// to a service end UNAVAILABLE (it cannot be reached, or it is draining), the circuit opens and for
/// <see cref="RlhfClientOptions.CircuitBreakDuration"/> calls fail at once with UNAVAILABLE instead of each waiting for
/// a connection; then one trial call decides whether it closes again. An HTTP-level breaker cannot do this: every
/// gRPC response, error statuses included, is HTTP 200, so it would only ever see refused connections.
/// </summary>
/// <remarks>
/// It counts logical calls: it sits above grpc-dotnet's retries, so a call that is retried counts once, with its
/// final status. Other statuses (INVALID_ARGUMENT, DEADLINE_EXCEEDED, …) say nothing about the service's health and
/// count as successes. Streaming calls pass through untouched. One instance per client registration: its state is
/// shared by every call to that service.
/// </remarks>
public sealed class CircuitBreakerInterceptor : Interceptor
{
    /// <summary>Calls in a sampling window before the circuit may open.</summary>
    public const int MinimumThroughput = 5;

    /// <summary>Share of UNAVAILABLE calls in the window that opens the circuit.</summary>
    public const double FailureRatio = 0.8;

    /// <summary>The window over which calls are counted.</summary>
    public static readonly TimeSpan SamplingDuration = TimeSpan.FromSeconds(10);

    private readonly ResiliencePipeline _pipeline;
    private readonly string _service;
    private readonly TimeSpan _breakDuration;

    /// <param name="service">The service's gRPC name, e.g. <c>rlhf.v1.RewardService</c> (named in the fail-fast status).</param>
    /// <param name="breakDuration">How long the circuit stays open.</param>
    /// <param name="time">Clock of the sampling window and the break (tests pass a fake).</param>
    public CircuitBreakerInterceptor(string service, TimeSpan breakDuration, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        _service = service;
        _breakDuration = breakDuration;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = FailureRatio,
                MinimumThroughput = MinimumThroughput,
                SamplingDuration = SamplingDuration,
                BreakDuration = breakDuration,
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(e => e.StatusCode == StatusCode.Unavailable),
            })
            .Build();
    }

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = new TaskCompletionSource<AsyncUnaryCall<TResponse>?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Status? refused = null;

        async Task<TResponse> ResponseAsync()
        {
            try
            {
                // The call's own deadline and cancellation end it; the pipeline only observes the outcome.
                return await _pipeline.ExecuteAsync(async _ =>
                {
                    var inner = continuation(request, context);
                    call.TrySetResult(inner);
                    return await inner.ResponseAsync.ConfigureAwait(false);
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (BrokenCircuitException e)
            {
                var retryAfter = e.RetryAfter ?? _breakDuration;
                refused = new Status(StatusCode.Unavailable,
                    $"{_service} is unavailable: most recent calls failed with UNAVAILABLE, so calls fail fast for {retryAfter.TotalSeconds:0.#} s (circuit breaker)");
                throw new RpcException(refused.Value);
            }
            finally
            {
                // refused, or the continuation threw before making a call: headers and status have no inner call
                call.TrySetResult(null);
            }
        }

        var response = ResponseAsync();
        return new AsyncUnaryCall<TResponse>(
            response,
            HeadersAsync(call.Task),
            () => Inner(call.Task) is { } inner ? inner.GetStatus() : refused ?? throw new InvalidOperationException("the call has not completed"),
            () => Inner(call.Task) is { } inner ? inner.GetTrailers() : refused is null ? throw new InvalidOperationException("the call has not completed") : [],
            () => Inner(call.Task)?.Dispose());
    }

    private static AsyncUnaryCall<TResponse>? Inner<TResponse>(Task<AsyncUnaryCall<TResponse>?> call) =>
        call.IsCompletedSuccessfully ? call.Result : null;

    private static async Task<Metadata> HeadersAsync<TResponse>(Task<AsyncUnaryCall<TResponse>?> call) =>
        await call.ConfigureAwait(false) is { } inner ? await inner.ResponseHeadersAsync.ConfigureAwait(false) : [];
}
