using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>The typed layer under the four call handlers: resolving the service and reading requests.</summary>
internal abstract class ServerCallHandler<TService, TRequest, TResponse>(string method, GrpcServerOptions options, ILoggerFactory loggerFactory)
    : ServerCallHandlerBase(method, options, loggerFactory)
    where TService : class
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    protected static readonly MessageParser<TRequest> RequestParser = new(() => new TRequest());

    /// <summary>Reads exactly one request message (unary and server streaming); INTERNAL when there is none or more than one.</summary>
    protected async Task<TRequest> ReadSingleRequestAsync(ServerCallContext context)
    {
        var reader = context.GetHttpContext().Request.BodyReader;
        var request = await GrpcFraming.ReadMessageAsync(reader, RequestParser, Options.MaxReceiveMessageSize, context.RequestEncoding, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(StatusCode.Internal, "Incomplete request: the request stream ended without a message.");
        var extra = await GrpcFraming.ReadMessageAsync(reader, RequestParser, Options.MaxReceiveMessageSize, context.RequestEncoding, context.CancellationToken).ConfigureAwait(false);
        return extra is null ? request : throw new RpcException(StatusCode.Internal, "The request stream holds more than one message for a single-request method.");
    }

    protected HttpContextStreamReader<TRequest> CreateRequestStream(ServerCallContext context) => new(context, RequestParser);

    protected static HttpContextStreamWriter<TResponse> CreateResponseStream(ServerCallContext context) => new(context);

    protected static Task WriteResponseAsync(ServerCallContext context, TResponse? response) =>
        response is null
            ? throw new InvalidOperationException("The service method returned a null response.")
            : context.WriteMessageAsync(response, context.CancellationToken);
}
