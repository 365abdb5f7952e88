using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Rlhf.Grpc;

/// <summary>
/// A callable method: its type, names and message parsers. Build one from the generated descriptor with
/// <see cref="FromDescriptor"/> (or <see cref="MethodDescriptorExtensions.GetMethod{TRequest,TResponse}"/>).
/// </summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    /// <summary>Creates a method description.</summary>
    /// <param name="type">The call type.</param>
    /// <param name="serviceName">Fully-qualified service name, e.g. <c>grpc.health.v1.Health</c>.</param>
    /// <param name="name">Method name, e.g. <c>Check</c>.</param>
    /// <param name="isIdempotent">Whether a retry of the call is safe.</param>
    public Method(MethodType type, string serviceName, string name, bool isIdempotent = false)
    {
        Type = type;
        ServiceName = serviceName;
        Name = name;
        FullName = "/" + serviceName + "/" + name;
        IsIdempotent = isIdempotent;
    }

    /// <summary>The call type.</summary>
    public MethodType Type { get; }

    /// <summary>Fully-qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>Method name.</summary>
    public string Name { get; }

    /// <summary>The HTTP/2 path: <c>/package.Service/Method</c>.</summary>
    public string FullName { get; }

    /// <summary>Whether the call may be retried (from the proto option <c>idempotency_level</c>, or set explicitly).</summary>
    public bool IsIdempotent { get; }

    /// <summary>Parser of requests.</summary>
    public MessageParser<TRequest> RequestParser { get; } = new(() => new TRequest());

    /// <summary>Parser of responses.</summary>
    public MessageParser<TResponse> ResponseParser { get; } = new(() => new TResponse());

    /// <summary>
    /// Builds the method from a generated <see cref="MethodDescriptor"/>: call type from its streaming flags,
    /// idempotency from <c>option idempotency_level</c> (NO_SIDE_EFFECTS or IDEMPOTENT).
    /// </summary>
    /// <exception cref="ArgumentException">The descriptor's message types are not <typeparamref name="TRequest"/> and <typeparamref name="TResponse"/>.</exception>
    public static Method<TRequest, TResponse> FromDescriptor(MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.InputType.ClrType != typeof(TRequest) || descriptor.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"Method {descriptor.FullName} takes {descriptor.InputType.ClrType} and returns {descriptor.OutputType.ClrType}, " +
                $"not {typeof(TRequest)} and {typeof(TResponse)}.", nameof(descriptor));
        }

        var level = descriptor.GetOptions()?.IdempotencyLevel ?? MethodOptions.Types.IdempotencyLevel.IdempotencyUnknown;
        var idempotent = level is MethodOptions.Types.IdempotencyLevel.Idempotent or MethodOptions.Types.IdempotencyLevel.NoSideEffects;
        return new Method<TRequest, TResponse>(descriptor.GetMethodType(), descriptor.Service.FullName, descriptor.Name, idempotent);
    }

    /// <inheritdoc />
    public override string ToString() => FullName;
}
