using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Rlhf.Grpc;

/// <summary>One-liners that build <see cref="Method{TRequest,TResponse}"/> from generated descriptors and read their call type.</summary>
public static class MethodDescriptorExtensions
{
    /// <summary>
    /// The method <paramref name="name"/> of <paramref name="service"/>, e.g.
    /// <c>HealthReflection.Descriptor.Services[0].GetMethod&lt;HealthCheckRequest, HealthCheckResponse&gt;("Check")</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The service has no such method or its types differ.</exception>
    public static Method<TRequest, TResponse> GetMethod<TRequest, TResponse>(this ServiceDescriptor service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var method = service.FindMethodByName(name)
            ?? throw new ArgumentException($"Service {service.FullName} has no method '{name}'.", nameof(name));
        return Method<TRequest, TResponse>.FromDescriptor(method);
    }

    /// <summary>The call type of <paramref name="descriptor"/>, from its streaming flags.</summary>
    public static MethodType GetMethodType(this MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
    }

    /// <summary>Shorthand for <see cref="Method{TRequest,TResponse}.FromDescriptor"/>.</summary>
    public static Method<TRequest, TResponse> ToMethod<TRequest, TResponse>(this MethodDescriptor descriptor)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Method<TRequest, TResponse>.FromDescriptor(descriptor);
}
