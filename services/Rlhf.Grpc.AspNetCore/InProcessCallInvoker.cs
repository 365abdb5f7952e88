using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rlhf.Grpc.AspNetCore.Internal;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Rlhf.Grpc.AspNetCore;

/// <summary>
/// A <see cref="CallInvoker"/> that calls mapped service implementations directly, in this process: no HTTP/2, no
/// sockets, no protobuf serialization. Each RPC binds to the same delegate <c>MapGrpcService&lt;TService&gt;</c> binds
/// (same name and signature rules), runs inside the same interceptors (<see cref="GrpcServerOptions.Interceptors"/>
/// of <paramref name="services"/>) on a thread-pool thread, with a <see cref="ServerCallContext"/> made for in-process
/// use: request headers from <see cref="CallOptions.Headers"/>, <see cref="ServerCallContext.Deadline"/> from
/// <see cref="CallOptions.Deadline"/>, and a cancellation token fired by the caller's token, the deadline or
/// disposing the call. Outcomes match the HTTP path: an <see cref="RpcException"/> thrown by the handler reaches the
/// caller as-is; another exception becomes UNKNOWN (its detail only with
/// <see cref="GrpcServerOptions.EnableDetailedErrors"/>; the exception as <see cref="Status.DebugException"/>); a passed
/// deadline gives DEADLINE_EXCEEDED and a cancelled call CANCELLED, at once, even while the handler still runs.
/// Messages are passed by reference: neither side may change a message after handing it over. Unary and
/// server-streaming calls only (client-streaming and duplex throw <see cref="NotSupportedException"/>). Thread-safe.
/// </summary>
/// <param name="services">
/// The application's services: service implementations and interceptors are resolved from a scope created per call,
/// and <see cref="GrpcServerOptions"/> from <c>IOptions&lt;GrpcServerOptions&gt;</c> (defaults when absent).
/// </param>
/// <example>
/// A model service's host built by <c>ModelServiceHosting.Build</c> (not started), called without a socket:
/// <c>new PolicyServiceClient(new InProcessCallInvoker(app.Services).AddService&lt;PolicyServiceImpl&gt;(descriptor))</c>.
/// </example>
public sealed class InProcessCallInvoker(IServiceProvider services) : CallInvoker
{
    /// <summary>Response messages a server stream buffers before its writer waits for the reader.</summary>
    public const int ResponseStreamCapacity = 16;

    private readonly IServiceProvider _services = services ?? throw new ArgumentNullException(nameof(services));
    private readonly GrpcServerOptions _options = services.GetService<IOptions<GrpcServerOptions>>()?.Value ?? new GrpcServerOptions();
    private readonly ConcurrentDictionary<string, InProcessHandler?> _methods = new(StringComparer.Ordinal);
    private readonly GrpcServiceRegistry _registry = new();

    /// <summary>
    /// Binds every RPC of <paramref name="service"/> to <typeparamref name="TService"/> as
    /// <c>MapGrpcService&lt;TService&gt;</c> does; RPCs without a method answer UNIMPLEMENTED. Returns this invoker.
    /// </summary>
    /// <exception cref="InvalidOperationException">A method with an RPC's name has the wrong signature.</exception>
    public InProcessCallInvoker AddService<TService>(ServiceDescriptor service)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(service);
        foreach (var method in service.Methods)
        {
            var (type, invoker) = ServiceBinder.BindMethod(typeof(TService), method);
            var handlerType = (type, invoker) switch
            {
                (_, null) => null,
                (MethodType.Unary, _) => typeof(BoundInProcessUnaryHandler<,,>),
                (MethodType.ServerStreaming, _) => typeof(BoundInProcessServerStreamingHandler<,,>),
                _ => null,
            };
            var handler = handlerType is null
                ? null
                : (InProcessHandler)Activator.CreateInstance(handlerType.MakeGenericType(typeof(TService), method.InputType.ClrType, method.OutputType.ClrType), invoker)!;
            _methods[ServiceBinder.MethodPath(method)] = handler;
        }

        _registry.Add(service);
        return this;
    }

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(request);
        var call = new InProcessCall(_services, _options, method.FullName, options);
        var handler = Find<InProcessUnaryHandler<TRequest, TResponse>, TRequest, TResponse>(method, out var unavailable);
        var response = handler is null
            ? call.Fail<TResponse>(unavailable)
            : call.RunAsync<TResponse>(async (context, result) => result.Value = await handler.InvokeAsync(request, context).ConfigureAwait(false));
        return new AsyncUnaryCall<TResponse>(response, call.ResponseHeaders, call.GetStatus, call.GetTrailers, call.Cancel);
    }

    /// <inheritdoc />
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(request);
        var call = new InProcessCall(_services, _options, method.FullName, options);
        var handler = Find<InProcessServerStreamingHandler<TRequest, TResponse>, TRequest, TResponse>(method, out var unavailable);
        var channel = Channel.CreateBounded<TResponse>(new BoundedChannelOptions(ResponseStreamCapacity) { SingleReader = true, SingleWriter = false });
        Task completion = handler is null
            ? call.Fail<object>(unavailable)
            : call.RunAsync<object>((context, _) => handler.InvokeAsync(request, new InProcessStreamWriter<TResponse>(context, channel.Writer), context));
        _ = completion.ContinueWith(static (_, writer) => ((ChannelWriter<TResponse>)writer!).TryComplete(), channel.Writer, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new AsyncServerStreamingCall<TResponse>(new InProcessStreamReader<TResponse>(channel.Reader, completion, call.Cancel),
            call.ResponseHeaders, call.GetStatus, call.GetTrailers, call.Cancel);
    }

    /// <summary>Not supported in-process: throws <see cref="NotSupportedException"/>.</summary>
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
        throw new NotSupportedException($"{nameof(InProcessCallInvoker)} supports unary and server-streaming calls only ({method?.FullName} is client streaming).");

    /// <summary>Not supported in-process: throws <see cref="NotSupportedException"/>.</summary>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
        throw new NotSupportedException($"{nameof(InProcessCallInvoker)} supports unary and server-streaming calls only ({method?.FullName} is duplex streaming).");

    private THandler? Find<THandler, TRequest, TResponse>(Method<TRequest, TResponse> method, out Status unavailable)
        where THandler : InProcessHandler
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        if (_methods.TryGetValue(method.FullName, out var handler) && handler is not null)
        {
            if (handler is THandler typed)
            {
                unavailable = default;
                return typed;
            }

            unavailable = new Status(StatusCode.Unimplemented, $"Method {method.Name} is a {handler.Type} RPC with other message types; it cannot be called as {method.Type} here.");
            return null;
        }

        // A method of an added service without an implementation, or a method or service that was never added.
        unavailable = new Status(StatusCode.Unimplemented, _registry.UnimplementedDetail(method.ServiceName, method.Name));
        return null;
    }
}
