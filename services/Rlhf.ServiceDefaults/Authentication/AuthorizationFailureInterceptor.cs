using Grpc.Core;
using Microsoft.Extensions.Logging;
using Rlhf.ServiceDefaults.Calls;

namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>
/// Fails a call that ASP.NET Core's authorization refused (<see cref="GrpcAuthorizationResultHandler"/>) with its
/// UNAUTHENTICATED or PERMISSION_DENIED status before the service method runs. The outermost interceptor.
/// </summary>
public sealed class AuthorizationFailureInterceptor(ILogger<AuthorizationFailureInterceptor> logger) : ServerCallInterceptor
{
    /// <inheritdoc />
    protected override Task InvokeAsync(ServerCallContext context, Func<Task> next)
    {
        if (context.GetHttpContext().Features.Get<GrpcAuthorizationFailure>() is not { } failure)
            return next();
        Log.AuthRefused(logger, context.Method, context.Peer, failure.Message);
        throw new RpcException(new Status(failure.Status, failure.Message));
    }
}
