using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>Unary: read one message → invoke → write one message.</summary>
internal sealed class UnaryServerCallHandler<TService, TRequest, TResponse>(
    string method,
    Func<TService, TRequest, ServerCallContext, Task<TResponse>> invoker,
    GrpcServerOptions options,
    ILoggerFactory loggerFactory)
    : ServerCallHandler<TService, TRequest, TResponse>(method, options, loggerFactory)
    where TService : class
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    protected override async Task HandleCallCoreAsync(ServerCallContext context)
    {
        var request = await ReadSingleRequestAsync(context).ConfigureAwait(false);
        var response = await invoker(CallServices.Resolve<TService>(context), request, context).ConfigureAwait(false);
        await WriteResponseAsync(context, response).ConfigureAwait(false);
    }
}
