using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>Server streaming: read one message → invoke with a response stream.</summary>
internal sealed class ServerStreamingServerCallHandler<TService, TRequest, TResponse>(
    string method,
    Func<TService, TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> invoker,
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
        await invoker(CallServices.Resolve<TService>(context), request, CreateResponseStream(context), context).ConfigureAwait(false);
    }
}
