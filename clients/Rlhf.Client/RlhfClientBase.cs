using Google.Protobuf;
using Google.Protobuf.Reflection;
using Polly;
using Rlhf.Grpc;

namespace Rlhf.Client;

/// <summary>
/// Base of the typed clients: a call invoker and an optional resilience pipeline (retry with jittered backoff on
/// UNAVAILABLE for idempotent RPCs only, an overall timeout, a circuit breaker — see <see cref="GrpcResiliencePipeline"/>).
/// </summary>
public abstract class RlhfClientBase
{
    private readonly CallInvoker _invoker;
    private readonly ResiliencePipeline? _pipeline;

    /// <param name="invoker">Call invoker of a channel.</param>
    /// <param name="pipeline">Resilience pipeline for unary calls; null calls directly.</param>
    protected RlhfClientBase(CallInvoker invoker, ResiliencePipeline? pipeline)
    {
        _invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
        _pipeline = pipeline;
    }

    /// <summary>The invoker (for streaming calls).</summary>
    protected CallInvoker Invoker => _invoker;

    /// <summary>The resilience pipeline, or null.</summary>
    protected ResiliencePipeline? Pipeline => _pipeline;

    /// <summary>Builds the method of <paramref name="service"/> named <paramref name="name"/>.</summary>
    /// <param name="service">Service descriptor from the generated code.</param>
    /// <param name="name">RPC name.</param>
    /// <param name="idempotent">Whether a retry after UNAVAILABLE is safe.</param>
    protected static Method<TRequest, TResponse> Rpc<TRequest, TResponse>(ServiceDescriptor service, string name, bool idempotent)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var descriptor = service.FindMethodByName(name) ?? throw new InvalidOperationException($"{service.FullName} has no RPC {name}");
        return new Method<TRequest, TResponse>(descriptor.GetMethodType(), service.FullName, name, idempotent);
    }

    /// <summary>Looks a service up in a generated file descriptor.</summary>
    protected static ServiceDescriptor Service(FileDescriptor file, string fullName) =>
        file.Services.FirstOrDefault(s => s.FullName == fullName) ?? throw new InvalidOperationException($"{fullName} is not in {file.Name}");

    /// <summary>A unary call, through the resilience pipeline when there is one.</summary>
    protected Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        _pipeline is null ? _invoker.UnaryAsync(method, request, options) : _invoker.UnaryAsync(method, request, _pipeline, options);
}
