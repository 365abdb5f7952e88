using System.Reflection;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>
/// Binds a service from its descriptor, once at start-up: for each RPC, the public method of the implementation with
/// the same name and the conventional signature becomes a typed delegate inside the handler of its call type; an RPC
/// without one answers UNIMPLEMENTED.
/// </summary>
internal static class ServiceBinder
{
    public static IEndpointConventionBuilder Bind<TService>(IEndpointRouteBuilder endpoints, ServiceDescriptor service)
        where TService : class
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<GrpcServerOptions>>().Value;
        var loggerFactory = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>();
        var registry = endpoints.ServiceProvider.GetRequiredService<GrpcServiceRegistry>();
        registry.Add(service);
        MapCatchAll(endpoints, registry, options, loggerFactory);

        var builders = new List<IEndpointConventionBuilder>();
        foreach (var method in service.Methods)
        {
            var path = MethodPath(method);
            var handler = CreateHandler(typeof(TService), method, path, registry, options, loggerFactory);
            builders.Add(endpoints.MapPost(path, handler.HandleCallAsync).WithDisplayName($"gRPC - {path}"));
        }

        return new CompositeConventionBuilder(builders);
    }

    /// <summary>The HTTP/2 path of <paramref name="method"/>: <c>/package.Service/Method</c>.</summary>
    internal static string MethodPath(MethodDescriptor method) => "/" + method.Service.FullName + "/" + method.Name;

    private static ServerCallHandlerBase CreateHandler(Type serviceType, MethodDescriptor method, string fullName, GrpcServiceRegistry registry, GrpcServerOptions options, ILoggerFactory loggerFactory)
    {
        var (methodType, invoker) = BindMethod(serviceType, method);
        if (invoker is null)
        {
            var detail = registry.UnimplementedDetail(method.Service.FullName, method.Name);
            return new UnimplementedCallHandler(fullName, detail, catchAll: false, options, loggerFactory);
        }

        var handlerType = methodType switch
        {
            MethodType.Unary => typeof(UnaryServerCallHandler<,,>),
            MethodType.ServerStreaming => typeof(ServerStreamingServerCallHandler<,,>),
            MethodType.ClientStreaming => typeof(ClientStreamingServerCallHandler<,,>),
            _ => typeof(DuplexStreamingServerCallHandler<,,>),
        };
        var closedHandler = handlerType.MakeGenericType(serviceType, method.InputType.ClrType, method.OutputType.ClrType);
        return (ServerCallHandlerBase)Activator.CreateInstance(closedHandler, fullName, invoker, options, loggerFactory)!;
    }

    /// <summary>
    /// The typed delegate that calls <paramref name="serviceType"/>'s implementation of <paramref name="method"/>
    /// (unary <c>Func&lt;TService, TReq, ServerCallContext, Task&lt;TResp&gt;&gt;</c>, server streaming
    /// <c>Func&lt;TService, TReq, IServerStreamWriter&lt;TResp&gt;, ServerCallContext, Task&gt;</c>, and so on), or null
    /// when the type has no public method of that name. Shared by the HTTP handlers and <see cref="InProcessCallInvoker"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A method with the RPC's name has the wrong signature.</exception>
    internal static (MethodType Type, Delegate? Invoker) BindMethod(Type serviceType, MethodDescriptor method)
    {
        var request = method.InputType.ClrType;
        var response = method.OutputType.ClrType;
        var methodType = method.GetMethodType();
        var (delegateType, parameters, returnType) = methodType switch
        {
            MethodType.Unary => (typeof(Func<,,,>),
                new[] { request, typeof(ServerCallContext) }, typeof(Task<>).MakeGenericType(response)),
            MethodType.ServerStreaming => (typeof(Func<,,,,>),
                new[] { request, typeof(IServerStreamWriter<>).MakeGenericType(response), typeof(ServerCallContext) }, typeof(Task)),
            MethodType.ClientStreaming => (typeof(Func<,,,>),
                new[] { typeof(IAsyncStreamReader<>).MakeGenericType(request), typeof(ServerCallContext) }, typeof(Task<>).MakeGenericType(response)),
            _ => (typeof(Func<,,,,>),
                new[] { typeof(IAsyncStreamReader<>).MakeGenericType(request), typeof(IServerStreamWriter<>).MakeGenericType(response), typeof(ServerCallContext) }, typeof(Task)),
        };

        var candidates = serviceType.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.Name == method.Name).ToArray();
        if (candidates.Length == 0)
        {
            return (methodType, null);
        }

        var target = candidates.FirstOrDefault(m => m.ReturnType == returnType && m.GetParameters().Select(p => p.ParameterType).SequenceEqual(parameters))
            ?? throw new InvalidOperationException(
                $"{serviceType.Name}.{method.Name} does not have the signature of a {methodType} RPC: expected " +
                $"{Describe(returnType)} {method.Name}({string.Join(", ", parameters.Select(Describe))}).");

        var delegateArguments = new[] { serviceType }.Concat(parameters).Append(returnType).ToArray();
        return (methodType, target.CreateDelegate(delegateType.MakeGenericType(delegateArguments)));
    }

    private static void MapCatchAll(IEndpointRouteBuilder endpoints, GrpcServiceRegistry registry, GrpcServerOptions options, ILoggerFactory loggerFactory)
    {
        if (registry.CatchAllMapped)
        {
            return;
        }

        registry.CatchAllMapped = true;
        endpoints.MapPost("{unimplementedService}/{unimplementedMethod}", async httpContext =>
        {
            var service = httpContext.Request.RouteValues["unimplementedService"]?.ToString() ?? string.Empty;
            var method = httpContext.Request.RouteValues["unimplementedMethod"]?.ToString() ?? string.Empty;
            var handler = new UnimplementedCallHandler(httpContext.Request.Path, registry.UnimplementedDetail(service, method), catchAll: true, options, loggerFactory);
            await handler.HandleCallAsync(httpContext).ConfigureAwait(false);
        }).WithDisplayName("gRPC - unimplemented").Add(b => ((RouteEndpointBuilder)b).Order = int.MaxValue);
    }

    private static string Describe(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Describe))}>"
        : type.Name;

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }
    }
}
