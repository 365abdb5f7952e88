using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Rlhf.Client;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// A client interceptor on a trainable service (policy or critic) that turns the signs of a restart into
/// <see cref="ModelServiceRestartedException"/>, so a run fails fast with the resume command instead of training a
/// fresh model or failing later with an obscure error:
/// <list type="bullet">
/// <item>a response whose <c>model_version.instance_id</c> differs from the first one seen (the process was replaced);</item>
/// <item>FAILED_PRECONDITION from any call but AcquireTrainingLease once the lease was taken (the lease was lost);</item>
/// <item>UNAVAILABLE from an RPC that is not retried (<see cref="RetryPolicies.IsRetried"/>: the service may have died
/// with the run's gradients).</item>
/// </list>
/// It sees each logical call after grpc-dotnet's retries; the exception it throws is FAILED_PRECONDITION.
/// </summary>
/// <param name="service">The service: policy or critic.</param>
/// <param name="runDirectory">Named in the resume command.</param>
public sealed class TrainingServiceGuard(ServiceEntry service, string runDirectory) : Interceptor
{
    private readonly object _gate = new();
    private string? _instanceId;
    private volatile bool _leaseHeld;

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        var method = service.Descriptor.FindMethodByName(context.Method.Name);
        var retried = method is not null && RetryPolicies.IsRetried(method);
        return new AsyncUnaryCall<TResponse>(CheckAsync(call.ResponseAsync, context.Method.Name, retried), call.ResponseHeadersAsync,
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private async Task<TResponse> CheckAsync<TResponse>(Task<TResponse> response, string methodName, bool retried)
    {
        TResponse result;
        try
        {
            result = await response.ConfigureAwait(false);
        }
        catch (RpcException e) when (e is not ModelServiceRestartedException && _leaseHeld)
        {
            if (e.StatusCode == StatusCode.FailedPrecondition && methodName != "AcquireTrainingLease")
                throw new ModelServiceRestartedException(service.Name, "lease lost", runDirectory, e);
            if (e.StatusCode == StatusCode.Unavailable && !retried)
                throw new ModelServiceRestartedException(service.Name, $"connection lost during {methodName}", runDirectory, e);
            throw;
        }
        if (methodName == "AcquireTrainingLease")
            _leaseHeld = true;
        else if (methodName == "ReleaseTrainingLease")
            _leaseHeld = false;
        if (InstanceOf(result as IMessage) is { Length: > 0 } instance)
        {
            lock (_gate)
            {
                _instanceId ??= instance;
                if (_instanceId != instance)
                    throw new ModelServiceRestartedException(service.Name, $"new instance {instance}, was {_instanceId}", runDirectory);
            }
        }
        return result;
    }

    private static string? InstanceOf(IMessage? message)
    {
        var field = message?.Descriptor.FindFieldByName("model_version");
        return field?.Accessor.GetValue(message) is ModelVersion version ? version.InstanceId : null;
    }
}
