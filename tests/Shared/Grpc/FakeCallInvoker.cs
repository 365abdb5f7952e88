using Grpc.Core;

namespace Rlhf.Testing;

/// <summary>
/// A call invoker that answers unary calls with <paramref name="unary"/> (method, request, options → response; a
/// thrown <see cref="RpcException"/> fails the call) and refuses every other call type. Put a generated client on it
/// (<c>new PolicyService.PolicyServiceClient(invoker)</c>) to script a service without a server.
/// </summary>
internal sealed class FakeCallInvoker(Func<IMethod, object, CallOptions, object> unary) : CallInvoker
{
    /// <summary>An invoker on which every call fails the test: for clients that must not be called.</summary>
    public static FakeCallInvoker Unused { get; } = new((method, _, _) => throw new NotSupportedException($"unexpected call {method.FullName}"));

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options,
        TRequest request)
    {
        var response = Task.Run(() => (TResponse)unary(method, request, options));
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => new Metadata(), () => { });
    }

    /// <inheritdoc />
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        (TResponse)unary(method, request, options);

    /// <inheritdoc />
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options, TRequest request) => throw new NotSupportedException(method.FullName);

    /// <inheritdoc />
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options) => throw new NotSupportedException(method.FullName);

    /// <inheritdoc />
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options) => throw new NotSupportedException(method.FullName);
}
