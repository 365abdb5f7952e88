using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>Client streaming: invoke with a request stream → write one message.</summary>
internal sealed class ClientStreamingServerCallHandler<TService, TRequest, TResponse>(
    string method,
    Func<TService, IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>> invoker,
    GrpcServerOptions options,
    ILoggerFactory loggerFactory)
    : ServerCallHandler<TService, TRequest, TResponse>(method, options, loggerFactory)
    where TService : class
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    protected override async Task HandleCallCoreAsync(ServerCallContext context)
    {
        var response = await invoker(CallServices.Resolve<TService>(context), CreateRequestStream(context), context).ConfigureAwait(false);
        await WriteResponseAsync(context, response).ConfigureAwait(false);
    }
}
