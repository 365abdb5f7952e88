using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>Bidirectional streaming: invoke with both streams.</summary>
internal sealed class DuplexStreamingServerCallHandler<TService, TRequest, TResponse>(
    string method,
    Func<TService, IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> invoker,
    GrpcServerOptions options,
    ILoggerFactory loggerFactory)
    : ServerCallHandler<TService, TRequest, TResponse>(method, options, loggerFactory)
    where TService : class
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    protected override Task HandleCallCoreAsync(ServerCallContext context) =>
        invoker(CallServices.Resolve<TService>(context), CreateRequestStream(context), CreateResponseStream(context), context);
}
