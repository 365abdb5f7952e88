using Google.Protobuf;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>The response stream of a server-streaming or duplex handler.</summary>
internal sealed class HttpContextStreamWriter<T>(ServerCallContext context) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var linked = LinkedCancellation.Create(context.CancellationToken, cancellationToken);
        await context.WriteMessageAsync(message, linked.Token).ConfigureAwait(false);
    }
}
