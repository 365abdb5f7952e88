using Google.Protobuf;
using Rlhf.Grpc;
using Rlhf.Protos.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// Wraps the call invoker of a trainable service (policy or critic) and turns the signs of a restart into
/// <see cref="ModelServiceRestartedException"/>, so a run fails fast with the resume command instead of training a
/// fresh model or failing later with an obscure error:
/// <list type="bullet">
/// <item>a response whose <c>model_version.instance_id</c> differs from the first one seen (the process was replaced);</item>
/// <item>FAILED_PRECONDITION from any call but AcquireTrainingLease once the lease was taken (the lease was lost);</item>
/// <item>UNAVAILABLE from a call that is not idempotent (the service may have died with the run's gradients).</item>
/// </list>
/// Sits inside the resilience pipeline: idempotent calls that fail with UNAVAILABLE pass through unchanged and are
/// retried; the exception it throws is never retried (its status is FAILED_PRECONDITION).
/// </summary>
/// <param name="inner">The channel's invoker.</param>
/// <param name="service">"policy" or "critic".</param>
/// <param name="runDirectory">Named in the resume command.</param>
public sealed class TrainingServiceGuard(CallInvoker inner, string service, string runDirectory) : CallInvoker
{
    private readonly object _gate = new();
    private string? _instanceId;
    private volatile bool _leaseHeld;

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        var call = inner.AsyncUnaryCall(method, request, options);
        var idempotent = options.IsIdempotent ?? method.IsIdempotent;
        return new AsyncUnaryCall<TResponse>(CheckAsync(call.ResponseAsync, method.Name, idempotent), call.ResponseHeadersAsync,
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    /// <inheritdoc />
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        inner.AsyncServerStreamingCall(method, request, options);

    /// <inheritdoc />
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
        inner.AsyncClientStreamingCall(method, options);

    /// <inheritdoc />
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
        inner.AsyncDuplexStreamingCall(method, options);

    private async Task<TResponse> CheckAsync<TResponse>(Task<TResponse> response, string methodName, bool idempotent)
        where TResponse : class, IMessage<TResponse>
    {
        TResponse result;
        try
        {
            result = await response.ConfigureAwait(false);
        }
        catch (RpcException e) when (e is not ModelServiceRestartedException && _leaseHeld)
        {
            if (e.StatusCode == StatusCode.FailedPrecondition && methodName != "AcquireTrainingLease")
                throw new ModelServiceRestartedException(service, "lease lost", runDirectory, e);
            if (e.StatusCode == StatusCode.Unavailable && !idempotent)
                throw new ModelServiceRestartedException(service, $"connection lost during {methodName}", runDirectory, e);
            throw;
        }
        if (methodName == "AcquireTrainingLease")
            _leaseHeld = true;
        else if (methodName == "ReleaseTrainingLease")
            _leaseHeld = false;
        if (InstanceOf(result) is { Length: > 0 } instance)
        {
            lock (_gate)
            {
                _instanceId ??= instance;
                if (_instanceId != instance)
                    throw new ModelServiceRestartedException(service, $"new instance {instance}, was {_instanceId}", runDirectory);
            }
        }
        return result;
    }

    private static string? InstanceOf(IMessage message)
    {
        var field = message.Descriptor.FindFieldByName("model_version");
        return field?.Accessor.GetValue(message) is ModelVersion version ? version.InstanceId : null;
    }
}
