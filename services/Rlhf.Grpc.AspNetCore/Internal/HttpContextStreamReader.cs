using Google.Protobuf;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>The request stream of a client-streaming or duplex handler, read from the HTTP/2 request body.</summary>
internal sealed class HttpContextStreamReader<T>(ServerCallContext context, MessageParser<T> parser) : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned a message.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        using var linked = LinkedCancellation.Create(context.CancellationToken, cancellationToken);
        _current = await GrpcFraming.ReadMessageAsync(
            context.GetHttpContext().Request.BodyReader,
            parser,
            context.Options.MaxReceiveMessageSize,
            context.RequestEncoding,
            linked.Token).ConfigureAwait(false);
        return _current is not null;
    }
}
